//! The Kafka Playground page. Trunk builds this binary for the browser.

/// Talc instead of Rust's default dlmalloc: a smaller download, and faster
/// (docs/BENCHMARKS.md).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(target_arch = "wasm32")]
fn main() {
    yew::Renderer::<kafka_playground::ui::App>::new().render();
}

/// Natively there is no page to show; say where the app and the terminal runner are.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "kafka-playground is the browser app: run ./tools/serve.sh and open http://127.0.0.1:8080\n\
         For the same core in a terminal, use: cargo run --bin kplay -- help"
    );
    std::process::exit(2);
}
