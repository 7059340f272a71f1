//! Text classification data: labelled texts to token-id sequences ([`nowcast_runtime::text`]
//! tokenizes, so host and device split and hash the same way), a vocabulary or the hashing
//! trick, and pre-trained word vectors in the GloVe text format.
//!
//! A bag-of-words model is an Embedding followed by `GlobalAveragePooling1D`: the mean of the
//! tokens' vectors is a dense layer (without bias) applied to the text's word counts divided by
//! its length, and it runs in the runtime like any token model (in window mode).
//!
//! **Protocol.** Texts are split into train / validation / test like labelled sequences
//! ([`crate::classify`]: stratified by class, seeded). The vocabulary is built from the
//! training texts only: the `max_tokens` most frequent tokens (ties: the token seen first),
//! ids from 2 (0 is padding, 1 any other token). A text's ids are cut to `length` the way
//! Keras' `pad_sequences` does by default: padding (id 0) at the front, the last `length` ids
//! kept.

use std::collections::HashMap;
use std::path::Path;

use nowcast_runtime::text::{PAD, TOKEN_BYTES, UNKNOWN, for_each_token, hash_id};
use nowcast_runtime::{AlignedBytes, Model, ModelSpec, Stepper};
use serde::Serialize;

use crate::classify::{ClassScores, ClassifyError, scores_from, stratify};
use crate::data::sequences::SequenceError;
use crate::data::{BatchError, Split};
use crate::net::Seq;
use crate::train::TrainModel;
use crate::train::fit::{Examples, predicted_class};

/// Labelled texts.
#[derive(Clone, Debug, PartialEq)]
pub struct Texts {
    /// The texts, in file order.
    pub texts: Vec<String>,
    /// Class index of each text.
    pub labels: Vec<usize>,
    /// Class names, in the order the file first uses them.
    pub classes: Vec<String>,
}

/// Reads a CSV with a header: `text_column` holds the text, `label_column` its class.
pub fn read_text_csv(
    path: impl AsRef<Path>,
    text_column: &str,
    label_column: &str,
) -> Result<Texts, SequenceError> {
    let path = path.as_ref();
    let file_err = |message: String| SequenceError::File {
        path: path.into(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .map_err(|e| file_err(e.to_string()))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| file_err(e.to_string()))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let find = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            file_err(format!(
                "no column {name:?} (columns: {})",
                header.join(", ")
            ))
        })
    };
    let (t_at, l_at) = (find(text_column)?, find(label_column)?);
    let mut out = Texts {
        texts: Vec::new(),
        labels: Vec::new(),
        classes: Vec::new(),
    };
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            SequenceError::Line {
                path: path.into(),
                line,
                message: e.to_string(),
            }
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let label = record.get(l_at).unwrap_or("").trim();
        if label.is_empty() {
            return Err(SequenceError::Line {
                path: path.into(),
                line,
                message: format!("empty {label_column:?}"),
            });
        }
        let k = match out.classes.iter().position(|c| c == label) {
            Some(k) => k,
            None => {
                out.classes.push(label.to_string());
                out.classes.len() - 1
            }
        };
        out.texts.push(record.get(t_at).unwrap_or("").to_string());
        out.labels.push(k);
    }
    if out.texts.is_empty() {
        return Err(file_err("no rows".into()));
    }
    Ok(out)
}

/// The tokens of a text, as the runtime splits them.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut buf = [0u8; TOKEN_BYTES];
    for_each_token(text, &mut buf, |t| {
        out.push(String::from_utf8_lossy(t).into_owned())
    });
    out
}

/// How tokens become ids.
#[derive(Clone, Debug, PartialEq)]
pub enum Encoding {
    /// A vocabulary: `tokens[i]` has id `i + 2`.
    Vocabulary {
        /// The tokens, most frequent first.
        tokens: Vec<String>,
    },
    /// The hashing trick with this many ids ([`hash_id`]).
    Hashing {
        /// Ids, padding included.
        bins: u16,
    },
}

impl Encoding {
    /// The `max_tokens` most frequent tokens of `texts` (ties: the one seen first).
    pub fn vocabulary<'a>(texts: impl Iterator<Item = &'a str>, max_tokens: usize) -> Self {
        let mut counts: HashMap<String, (usize, usize)> = HashMap::new();
        let mut seen = 0;
        for t in texts {
            for tok in tokens(t) {
                let e = counts.entry(tok).or_insert((0, seen));
                e.0 += 1;
                seen += 1;
            }
        }
        let mut all: Vec<(String, (usize, usize))> = counts.into_iter().collect();
        all.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.1.1.cmp(&b.1.1)));
        let cap = max_tokens.min(usize::from(u16::MAX) - 2);
        Encoding::Vocabulary {
            tokens: all.into_iter().take(cap).map(|(t, _)| t).collect(),
        }
    }

    /// Ids in use, padding and the unknown id included: the Embedding's `input_dim`.
    pub fn ids(&self) -> usize {
        match self {
            Encoding::Vocabulary { tokens } => tokens.len() + 2,
            Encoding::Hashing { bins } => usize::from(*bins),
        }
    }

    /// A text's ids.
    pub fn encode(&self, text: &str, index: &HashMap<&str, u16>) -> Vec<u16> {
        let mut out = Vec::new();
        let mut buf = [0u8; TOKEN_BYTES];
        for_each_token(text, &mut buf, |t| {
            out.push(match self {
                Encoding::Hashing { bins } => hash_id(t, *bins),
                // Decoded as the vocabulary was built (a token cut inside a character keeps a
                // replacement character), so both see the same string.
                Encoding::Vocabulary { .. } => index
                    .get(String::from_utf8_lossy(t).as_ref())
                    .copied()
                    .unwrap_or(UNKNOWN),
            })
        });
        out
    }

    /// Token to id, for [`encode`](Self::encode) (empty for hashing).
    pub fn index(&self) -> HashMap<&str, u16> {
        match self {
            Encoding::Vocabulary { tokens } => tokens
                .iter()
                .enumerate()
                .map(|(i, t)| (t.as_str(), (i + 2) as u16))
                .collect(),
            Encoding::Hashing { .. } => HashMap::new(),
        }
    }
}

/// What the encoding does to the training texts' tokens.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EncodingReport {
    /// Distinct tokens in the training texts.
    pub distinct_tokens: usize,
    /// Of the training texts' token occurrences, the share mapped to the unknown id.
    pub unknown_share: f64,
    /// Hashing: distinct tokens that share their id with an earlier one (tokens minus ids used).
    pub collisions: usize,
}

/// Labelled texts as examples: id sequences of one length (or bag-of-words vectors).
#[derive(Clone, Debug)]
pub struct TextSet {
    classes: Vec<String>,
    encoding: Encoding,
    length: usize,
    ids: Vec<Vec<u16>>,
    labels: Vec<usize>,
    splits: [Vec<usize>; 3],
    report: EncodingReport,
}

/// How texts become examples.
#[derive(Clone, Debug, PartialEq)]
pub struct TextConfig {
    /// `None`: a vocabulary of at most this many tokens; `Some(bins)`: the hashing trick.
    pub hashing: Option<u16>,
    /// Vocabulary size (tokens, besides padding and unknown).
    pub max_tokens: usize,
    /// Ids per text (default: the longest training text).
    pub length: Option<usize>,
    /// Train, validation and test shares.
    pub split: [f64; 3],
    /// Seed of the stratified split.
    pub seed: u64,
}

impl TextSet {
    /// Examples from labelled texts.
    pub fn new(texts: &Texts, cfg: &TextConfig) -> Result<Self, ClassifyError> {
        if texts.classes.len() < 2 {
            return Err(ClassifyError::OneClass(texts.classes.len()));
        }
        crate::classify::check_fractions(&cfg.split)?;
        let parts = stratify(&texts.labels, texts.classes.len(), &cfg.split, cfg.seed);
        let splits: [Vec<usize>; 3] = [parts[0].clone(), parts[1].clone(), parts[2].clone()];
        for (split, part) in Split::ALL.iter().zip(&splits) {
            if part.is_empty() {
                return Err(ClassifyError::Empty(*split));
            }
        }
        let train_texts = || splits[0].iter().map(|&i| texts.texts[i].as_str());
        let encoding = match cfg.hashing {
            Some(bins) => Encoding::Hashing { bins: bins.max(2) },
            None => Encoding::vocabulary(train_texts(), cfg.max_tokens),
        };
        let index = encoding.index();
        let ids: Vec<Vec<u16>> = texts
            .texts
            .iter()
            .map(|t| encoding.encode(t, &index))
            .collect();
        let mut distinct: HashMap<String, u16> = HashMap::new();
        let (mut total, mut unknown) = (0usize, 0usize);
        for &i in &splits[0] {
            for (tok, &id) in tokens(&texts.texts[i]).into_iter().zip(&ids[i]) {
                total += 1;
                unknown += usize::from(id == UNKNOWN && cfg.hashing.is_none());
                distinct.entry(tok).or_insert(id);
            }
        }
        let used: std::collections::HashSet<u16> = distinct.values().copied().collect();
        let report = EncodingReport {
            distinct_tokens: distinct.len(),
            unknown_share: unknown as f64 / total.max(1) as f64,
            collisions: if cfg.hashing.is_some() {
                distinct.len() - used.len()
            } else {
                0
            },
        };
        let length = cfg
            .length
            .unwrap_or_else(|| splits[0].iter().map(|&i| ids[i].len()).max().unwrap_or(1))
            .max(1);
        Ok(TextSet {
            classes: texts.classes.clone(),
            encoding,
            length,
            ids,
            labels: texts.labels.clone(),
            splits,
            report,
        })
    }

    /// Class names.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// The label of every text.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// The encoding.
    pub fn encoding(&self) -> &Encoding {
        &self.encoding
    }

    /// Ids per example.
    pub fn length(&self) -> usize {
        self.length
    }

    /// What the encoding did to the training texts.
    pub fn report(&self) -> &EncodingReport {
        &self.report
    }

    /// Text `i`'s ids cut and padded to the length.
    pub fn padded(&self, i: usize) -> Vec<u16> {
        let ids = &self.ids[i];
        let kept = &ids[ids.len().saturating_sub(self.length)..];
        let mut out = vec![PAD; self.length - kept.len()];
        out.extend_from_slice(kept);
        out
    }

    /// The most frequent training class.
    pub fn majority_class(&self) -> usize {
        let mut counts = vec![0usize; self.classes.len()];
        for &i in &self.splits[0] {
            counts[self.labels[i]] += 1;
        }
        (0..counts.len())
            .max_by_key(|&k| (counts[k], std::cmp::Reverse(k)))
            .unwrap_or(0)
    }

    /// The owned model: token input (one channel, no normalization), the class probabilities
    /// out, and the vocabulary (if not hashing) for a device to look tokens up.
    pub fn model_spec(&self, model: &TrainModel, name: &str) -> ModelSpec {
        let features = vec!["token".to_string()];
        let layers = model.layers();
        let single =
            matches!(layers.last(), Some(nowcast_runtime::Layer::Dense(d)) if d.units == 1);
        ModelSpec {
            vocabulary: match &self.encoding {
                Encoding::Vocabulary { tokens } => Some(tokens.clone()),
                Encoding::Hashing { .. } => None,
            },
            name: name.to_string(),
            features,
            targets: if single {
                self.classes.get(1).cloned().into_iter().collect()
            } else {
                self.classes.clone()
            },
            sample_period_ms: 0,
            lookback: self.length() as u32,
            delay: 0,
            step: 1,
            input_norm: None,
            output_norm: None,
            layers,
        }
    }
}

impl Examples for TextSet {
    fn ids(&self, split: Split) -> &[usize] {
        &self.splits[split as usize]
    }

    fn batch(&self, ids: &[usize]) -> Result<(Seq<f32>, Vec<f32>), BatchError> {
        let mut values = Vec::with_capacity(ids.len() * self.length);
        for &i in ids {
            if i >= self.ids.len() {
                return Err(BatchError::NotAWindowStart { start: i });
            }
            values.extend(self.padded(i).into_iter().map(f32::from));
        }
        let x = Seq::from_batch_major(&values, ids.len(), self.length, 1);
        Ok((x, ids.iter().map(|&i| self.labels[i] as f32).collect()))
    }

    fn target_std(&self) -> f64 {
        1.0
    }

    fn describe(&self) -> String {
        format!(
            "text classes={:?} ids={} length={} texts={:?}",
            self.classes,
            self.encoding.ids(),
            self.length,
            self.splits.iter().map(Vec::len).collect::<Vec<_>>()
        )
    }
}

/// Scores a text classifier blob on a split through the runtime: `window_tokens`, and
/// `step_token` id after id when the model streams.
pub fn score(blob: &[u8], set: &TextSet, split: Split) -> Result<ClassScores, ClassifyError> {
    let rt = |e: &dyn std::fmt::Debug| ClassifyError::Runtime(format!("{e:?}"));
    let aligned = AlignedBytes::new(blob);
    let model = Model::from_bytes(aligned.as_bytes()).map_err(|e| rt(&e))?;
    let mut scratch = vec![0.0; model.window_scratch_len(set.length()).map_err(|e| rt(&e))?];
    let mut state = vec![0.0; model.state_len()];
    let streams = Stepper::new(&model, &mut state).is_ok();
    let ids = set.ids(split);
    scores_from(
        ids,
        &set.labels,
        set.classes.len(),
        set.majority_class(),
        streams,
        |i| {
            let x = set.padded(i);
            let window = model
                .window_tokens(&x, &mut scratch)
                .map_err(|e| rt(&e))?
                .values
                .to_vec();
            let mut last = None;
            if streams {
                let mut s = Stepper::new(&model, &mut state).map_err(|e| rt(&e))?;
                for &id in &x {
                    if let Some(y) = s.step_token(id).map_err(|e| rt(&e))? {
                        last = Some(y.to_vec());
                    }
                }
            }
            Ok((predicted_class(&window), window, last))
        },
    )
}

/// Word vectors read for a vocabulary.
#[derive(Clone, Debug, PartialEq)]
pub struct WordVectors {
    /// Values per vector.
    pub dim: usize,
    /// `ids × dim` values: row `id` is the vector of the vocabulary's token `id`, zero for
    /// padding, the unknown id and tokens without a vector.
    pub table: Vec<f32>,
    /// Vocabulary tokens that have a vector.
    pub found: usize,
    /// Vocabulary tokens.
    pub wanted: usize,
}

/// Reads the GloVe text format (`word v1 v2 ...` per line; a word2vec `count dim` first line is
/// skipped) for the tokens of `vocabulary` (ids from 2).
pub fn read_vectors(path: &Path, vocabulary: &[String]) -> Result<WordVectors, SequenceError> {
    let text = std::fs::read_to_string(path).map_err(|e| SequenceError::File {
        path: path.into(),
        message: e.to_string(),
    })?;
    let index: HashMap<&str, usize> = vocabulary
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i + 2))
        .collect();
    let mut dim = 0;
    let mut rows: Vec<(usize, Vec<f32>)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut parts = line.split_whitespace();
        let Some(word) = parts.next() else { continue };
        let values: Result<Vec<f32>, _> = parts.map(str::parse::<f32>).collect();
        let values = values.map_err(|e| SequenceError::Line {
            path: path.into(),
            line: n + 1,
            message: format!("not a number: {e}"),
        })?;
        if n == 0 && values.len() == 1 && word.parse::<usize>().is_ok() {
            continue; // word2vec header
        }
        if dim == 0 {
            dim = values.len();
        }
        if values.len() != dim || dim == 0 {
            return Err(SequenceError::Line {
                path: path.into(),
                line: n + 1,
                message: format!("{} values, the file's vectors have {dim}", values.len()),
            });
        }
        // The file's words are standardized like the texts' tokens.
        let key = tokens(word).into_iter().next().unwrap_or_default();
        if let Some(&id) = index.get(key.as_str()) {
            rows.push((id, values));
        }
    }
    let ids = vocabulary.len() + 2;
    let mut table = vec![0.0; ids * dim];
    let mut found = std::collections::HashSet::new();
    for (id, v) in rows {
        if found.insert(id) {
            table[id * dim..(id + 1) * dim].copy_from_slice(&v);
        }
    }
    Ok(WordVectors {
        dim,
        table,
        found: found.len(),
        wanted: vocabulary.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts() -> Texts {
        let mut t = Texts {
            texts: Vec::new(),
            labels: Vec::new(),
            classes: vec!["a".into(), "b".into()],
        };
        for i in 0..30 {
            let (s, l) = if i % 2 == 0 {
                (format!("Great rally tonight, {i}!"), 0)
            } else {
                (format!("Thank you. Join me tomorrow {i}"), 1)
            };
            t.texts.push(s);
            t.labels.push(l);
        }
        t
    }

    fn cfg() -> TextConfig {
        TextConfig {
            hashing: None,
            max_tokens: 5,
            length: Some(4),
            split: [0.6, 0.2, 0.2],
            seed: 1,
        }
    }

    #[test]
    fn vocabulary_ids_padding_and_unknown() {
        let set = TextSet::new(&texts(), &cfg()).unwrap();
        let Encoding::Vocabulary { tokens } = set.encoding() else {
            panic!()
        };
        assert_eq!(tokens.len(), 5);
        // The training split has 9 texts of each class, so every word is as frequent (the
        // numbers differ per text): the first seen come first.
        let first = set.ids(Split::Train)[0];
        let want: [&str; 5] = if first.is_multiple_of(2) {
            ["great", "rally", "tonight", "thank", "you"]
        } else {
            ["thank", "you", "join", "me", "tomorrow"]
        };
        assert_eq!(tokens[..], want);
        let id = |t: &str| {
            tokens
                .iter()
                .position(|v| v == t)
                .map_or(UNKNOWN, |i| i as u16 + 2)
        };
        // "Great rally tonight, 0!": 4 ids, "0" is unknown.
        assert_eq!(
            set.padded(0),
            [id("great"), id("rally"), id("tonight"), UNKNOWN]
        );
        // "Thank you. Join me tomorrow 1": the last 4 kept.
        assert_eq!(
            set.padded(1),
            [id("join"), id("me"), id("tomorrow"), UNKNOWN]
        );
        let short = TextSet::new(
            &texts(),
            &TextConfig {
                length: Some(6),
                ..cfg()
            },
        )
        .unwrap();
        assert_eq!(short.padded(0)[..2], [PAD, PAD]);
        assert!(set.report().unknown_share > 0.0);
    }

    #[test]
    fn vocabulary_round_trip() {
        // Every in-vocabulary token of a text comes back from its id, in order.
        let t = texts();
        let set = TextSet::new(
            &t,
            &TextConfig {
                max_tokens: 100,
                length: Some(8),
                ..cfg()
            },
        )
        .unwrap();
        let Encoding::Vocabulary { tokens: vocab } = set.encoding() else {
            panic!()
        };
        for i in set.ids(Split::Train).iter().copied() {
            let back: Vec<&str> = set
                .padded(i)
                .into_iter()
                .filter(|&id| id != PAD)
                .map(|id| vocab[usize::from(id) - 2].as_str())
                .collect();
            assert_eq!(back, tokens(&t.texts[i]), "text {i}");
        }
    }

    #[test]
    fn hashing() {
        let c = TextConfig {
            hashing: Some(8),
            ..cfg()
        };
        let set = TextSet::new(&texts(), &c).unwrap();
        assert_eq!(set.encoding().ids(), 8);
        let want = ["great", "rally", "tonight", "0"].map(|t| hash_id(t.as_bytes(), 8));
        assert_eq!(set.padded(0), want);
        // 8 bins for more distinct tokens than that: collisions are counted.
        assert!(set.report().collisions > 0);
        assert_eq!(
            set.report().collisions,
            set.report().distinct_tokens - 7.min(set.report().distinct_tokens)
        );
    }

    #[test]
    fn glove_vectors_for_the_vocabulary() {
        let dir = std::env::temp_dir().join(format!("nowcast-glove-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("v.txt");
        std::fs::write(&p, "3 2\nGreat 1 2\nrally 3 4\nzebra 5 6\n").unwrap();
        let vocab: Vec<String> = ["great", "rally", "tonight"].map(String::from).to_vec();
        let v = read_vectors(&p, &vocab).unwrap();
        assert_eq!((v.dim, v.found, v.wanted), (2, 2, 3));
        assert_eq!(&v.table[4..8], &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(&v.table[8..10], &[0.0, 0.0]);
        std::fs::write(&p, "great 1 2\nrally 3\n").unwrap();
        let e = read_vectors(&p, &vocab).unwrap_err().to_string();
        assert!(
            e.ends_with("v.txt:2: 1 values, the file's vectors have 2"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
