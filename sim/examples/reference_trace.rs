//! Prints the reference trace hash (the golden value in sim/tests/reference_trace.txt).
fn main() {
    println!("{:016x}", tablestore_sim::trace::reference_trace());
}
