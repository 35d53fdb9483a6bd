fn main() {
    eprintln!("imfs-grate: not built yet");
    std::process::exit(1);
}
