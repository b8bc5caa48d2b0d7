//! Prints the reference trace hash (the golden value in tests/reference_trace.txt).
fn main() {
    println!(
        "{:016x}",
        tablestore_playground::sim::trace::reference_trace()
    );
}
