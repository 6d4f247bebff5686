fn main() -> std::process::ExitCode {
    voisinage::cli::main()
}
