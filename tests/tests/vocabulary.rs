//! A text model's vocabulary travels in its blob: every token looks up to its id, unknown
//! tokens to 1, through quantization too; a malformed vocabulary is a typed error.

use nowcast_runtime::activation::Activation;
use nowcast_runtime::format::FLAG_VOCABULARY;
use nowcast_runtime::layers::{Dense, Embedding, Gru, Layer};
use nowcast_runtime::text::UNKNOWN;
use nowcast_runtime::{AlignedBytes, LoadError, Mode, Model, ModelSpec};

const WORDS: [&str; 6] = ["the", "rally", "Ünïcode", "a", "zebra", "maga"];

fn spec(vocabulary: Option<Vec<String>>, input_dim: u32) -> ModelSpec {
    let (d, u) = (3usize, 2usize);
    ModelSpec {
        vocabulary,
        name: "text".into(),
        features: vec!["token".into()],
        targets: vec!["yes".into()],
        sample_period_ms: 0,
        lookback: 4,
        delay: 0,
        step: 1,
        input_norm: None,
        output_norm: None,
        layers: vec![
            Layer::Embedding(Embedding {
                input_dim,
                output_dim: d as u32,
                embeddings: (0..input_dim as usize * d)
                    .map(|i| i as f32 * 0.01)
                    .collect(),
            }),
            Layer::Gru(Gru {
                units: u as u32,
                activation: Activation::Tanh,
                recurrent_activation: Activation::Sigmoid,
                reset_after: true,
                return_sequences: false,
                kernel: vec![0.1; d * 3 * u],
                recurrent_kernel: vec![0.2; u * 3 * u],
                bias: vec![0.0; 6 * u],
            }),
            Layer::Dense(Dense {
                units: 1,
                activation: Activation::Sigmoid,
                kernel: vec![0.5; u],
                bias: vec![0.0],
            }),
        ],
    }
}

fn words() -> Vec<String> {
    WORDS.iter().map(|w| w.to_string()).collect()
}

#[test]
fn every_token_finds_its_id_and_quantizing_keeps_them() {
    let blob = spec(Some(words()), 8).to_bytes().unwrap();
    assert_eq!(u16::from_le_bytes([blob[6], blob[7]]), FLAG_VOCABULARY);
    for bytes in [
        blob.clone(),
        spec(Some(words()), 8).to_bytes_as(Mode::I8w).unwrap(),
    ] {
        let aligned = AlignedBytes::new(&bytes);
        let m = Model::from_bytes(aligned.as_bytes()).unwrap();
        for (i, w) in WORDS.iter().enumerate() {
            assert_eq!(m.token_id(w.as_bytes()), Some(i as u16 + 2), "{w}");
        }
        for w in ["", "b", "thee", "zz", "Ü", "rall"] {
            assert_eq!(m.token_id(w.as_bytes()), Some(UNKNOWN), "{w:?}");
        }
        let mut ids = [0u16; 8];
        assert_eq!(
            m.encode_text("The RALLY, a ZEBRA?! bike", &mut ids),
            Some(5)
        );
        assert_eq!(ids[..5], [2, 3, 5, 6, UNKNOWN]);
        assert_eq!(m.vocabulary_tokens(), Some(words()));
        // The ids run the model like any token window.
        let mut scratch = vec![0.0; m.window_scratch_len(5).unwrap()];
        assert!(m.window_tokens(&ids[..5], &mut scratch).is_ok());
    }
    // From a loaded model back to bytes: the same blob.
    let aligned = AlignedBytes::new(&blob);
    let m = Model::from_bytes(aligned.as_bytes()).unwrap();
    assert_eq!(ModelSpec::from_model(&m).to_bytes().unwrap(), blob);
    // Without a vocabulary nothing changes: flags 0, no lookup.
    let plain = spec(None, 8).to_bytes().unwrap();
    assert_eq!(u16::from_le_bytes([plain[6], plain[7]]), 0);
    let aligned = AlignedBytes::new(&plain);
    let m = Model::from_bytes(aligned.as_bytes()).unwrap();
    assert_eq!(m.token_id(b"the"), None);
    assert_eq!(m.encode_text("the", &mut [0; 2]), None);
}

#[test]
fn a_bad_vocabulary_is_a_typed_error() {
    let load = |s: ModelSpec| {
        let b = s.to_bytes().unwrap();
        Model::from_bytes(AlignedBytes::new(&b).as_bytes()).err()
    };
    // Sorted: a 5, maga 7, rally 3, the 2, zebra 6, Ünïcode 4. 6 tokens need ids up to 7, so an
    // Embedding of 7 ids is one short: line 2.
    assert_eq!(
        load(spec(Some(words()), 7)),
        Some(LoadError::Vocabulary { line: 2 })
    );
    // The same token twice (a, maga, the 2, the 3, ...): not strictly ascending at line 4.
    let mut twice = words();
    twice[1] = "the".into();
    assert_eq!(
        load(spec(Some(twice), 8)),
        Some(LoadError::Vocabulary { line: 4 })
    );
    // A token with a tab in it breaks its line.
    let mut tab = words();
    tab[0] = "t\the".into();
    assert!(matches!(
        load(spec(Some(tab), 8)),
        Some(LoadError::Vocabulary { .. })
    ));
    // An empty vocabulary, and one on a model that takes no tokens.
    assert_eq!(
        load(spec(Some(Vec::new()), 8)),
        Some(LoadError::Vocabulary { line: 1 })
    );
    let mut dense = spec(Some(words()), 8);
    dense.layers.remove(0);
    dense.layers.remove(0);
    dense.layers[0] = Layer::Dense(Dense {
        units: 1,
        activation: Activation::Linear,
        kernel: vec![0.5],
        bias: vec![0.0],
    });
    assert_eq!(load(dense), Some(LoadError::Vocabulary { line: 0 }));
    // Unknown flag bits are still refused.
    let mut b = spec(Some(words()), 8).to_bytes().unwrap();
    b[6] |= 2;
    let crc = {
        let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
        let mut d = crc.digest();
        d.update(&b[..16]);
        d.update(&b[20..]);
        d.finalize()
    };
    b[16..20].copy_from_slice(&crc.to_le_bytes());
    assert_eq!(
        Model::from_bytes(AlignedBytes::new(&b).as_bytes()).err(),
        Some(LoadError::UnsupportedFlags {
            found: FLAG_VOCABULARY | 2
        })
    );
}
