//! Share links deflated and inflated by the browser itself (`CompressionStream` and
//! `DecompressionStream` with the `deflate-raw` format, RFC 1951): the same bytes `kplay`
//! writes with `miniz_oxide`, without shipping a deflate implementation in the page.
//! Inflating stops at a size limit, so a crafted link cannot exhaust memory.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
export async function deflate_raw(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
export async function inflate_raw(bytes, limit) {
  const reader = new Blob([bytes]).stream()
    .pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const joined = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    joined.set(chunk, at);
    at += chunk.length;
  }
  return joined;
}
"#)]
extern "C" {
    // `bytes` is a view of the page's memory; the Blob copies it before the first await.
    #[wasm_bindgen(catch)]
    async fn deflate_raw(bytes: &[u8]) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn inflate_raw(bytes: &[u8], limit: f64) -> Result<JsValue, JsValue>;
}

/// `bytes` deflated; `Err` says why the browser could not.
pub async fn deflate(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let deflated = deflate_raw(bytes).await.map_err(|e| describe(&e))?;
    Ok(js_sys::Uint8Array::new(&deflated).to_vec())
}

/// `deflated` inflated, or `Ok(None)` when the result would exceed `limit` bytes; `Err` when
/// it is not deflated data.
pub async fn inflate(deflated: &[u8], limit: usize) -> Result<Option<Vec<u8>>, String> {
    let inflated = inflate_raw(deflated, limit as f64)
        .await
        .map_err(|e| describe(&e))?;
    Ok((!inflated.is_null()).then(|| js_sys::Uint8Array::new(&inflated).to_vec()))
}

fn describe(error: &JsValue) -> String {
    js_sys::Reflect::get(error, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| "the browser could not do it".into())
}
