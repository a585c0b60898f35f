//! Bindings to the few runtime globals the hot path needs, called directly rather than through
//! wrapper types (each JS crossing costs).

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The global `fetch(request)`.
    #[wasm_bindgen(js_name = fetch)]
    pub fn fetch(req: &web_sys::Request) -> js_sys::Promise;

    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]);

    #[wasm_bindgen(js_namespace = console, js_name = log)]
    pub fn console_log(line: &str);

    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, ms: u32) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// 40 bytes from the runtime's CSPRNG (request id, trace id, span id).
pub fn random_40() -> [u8; 40] {
    let mut buf = [0u8; 40];
    get_random_values(&mut buf);
    buf
}

/// Milliseconds since the epoch. In workerd time advances only across I/O.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

pub fn now_iso() -> String {
    js_sys::Date::new_0().to_iso_string().into()
}

/// A future that resolves after `ms`; dropping it clears the timer.
pub struct Sleep {
    future: wasm_bindgen_futures::JsFuture,
    id: JsValue,
}

pub fn sleep(ms: u32) -> Sleep {
    let mut id = JsValue::UNDEFINED;
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        id = set_timeout(&resolve, ms);
    });
    Sleep {
        future: wasm_bindgen_futures::JsFuture::from(promise),
        id,
    }
}

impl std::future::Future for Sleep {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        std::pin::Pin::new(&mut self.future).poll(cx).map(|_| ())
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}
