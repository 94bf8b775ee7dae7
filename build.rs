//! Compiles `data/cjk_dict.bin`, `data/zh_bigram.bin`,
//! `data/zh_wordpairs.bin` and `data/zh_variants.bin` into the dictionary
//! image the library uses in place (src/dictionary/).

#[allow(dead_code)]
#[path = "src/dictionary/layout.rs"]
mod layout;

#[path = "src/dictionary/compile.rs"]
mod compile;

fn main() {
    for input in [
        "data/cjk_dict.bin",
        "data/zh_bigram.bin",
        "data/zh_wordpairs.bin",
        "data/zh_variants.bin",
        "src/dictionary/layout.rs",
        "src/dictionary/compile.rs",
    ] {
        println!("cargo:rerun-if-changed={input}");
    }
    let read = |path: &str| std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let image = compile::compile(&compile::Inputs {
        dict: &read("data/cjk_dict.bin"),
        bigrams: &read("data/zh_bigram.bin"),
        word_pairs: &read("data/zh_wordpairs.bin"),
        variants: &read("data/zh_variants.bin"),
    })
    .unwrap_or_else(|e| panic!("dictionary image: {e}"));
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let path = std::path::Path::new(&out).join("dictionary.img");
    std::fs::write(&path, image).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}
