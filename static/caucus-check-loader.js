// Starts the checker's Web Worker (src/check_worker.rs): loads its wasm-bindgen glue (built by
// Trunk with --target no-modules, beside this file) and instantiates its wasm. The worker then
// says it is ready and waits for the page's request (see components/checker.rs).
importScripts('./caucus-check.js');
wasm_bindgen({ module_or_path: './caucus-check_bg.wasm' }).catch((e) => {
  postMessage({ kind: 'error', message: `the checker could not start: ${(e && e.message) || e}` });
});
