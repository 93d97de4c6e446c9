//! `fencebench`: measures what the dma-fence safe-access contract costs.
//! With no arguments it runs the quick default suite (`fencebench run --quick`).

mod cli;

fn main() {
    std::process::exit(cli::main());
}
