"""Local NLP over mention texts: VADER sentiment, spaCy entities, keywords and language.

Pure functions over strings (no ORM, no settings) so enrichment, benchmarks and tests share them.
Everything runs offline: spaCy is a blank English pipeline with an entity ruler built here (no
trained model is downloaded or loaded), VADER ships its lexicon, CLD2 (pycld2) ships its tables.
"""

from __future__ import annotations

import functools
import logging
import re
import runpy
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pycld2
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import compile_prefix_regex
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer as VADER

log = logging.getLogger(__name__)

POSITIVE_AT = 0.05  # VADER's own recommended thresholds on the compound score
NEGATIVE_AT = -0.05
MAX_KEYWORDS = 8
# Longer "words" are unsegmented CJK runs or junk, not keywords.
MAX_KEYWORD_CHARS = 24
BATCH_SIZE = 256
# About 90 MB of vocabulary before the pipelines are rebuilt (see analyze()).
MAX_VOCAB_ENTRIES = 200_000
SPACY_LANG_DIR = Path(spacy.__file__).parent / "lang"

# Entities whose tokens are markup rather than words, so never keywords.
MARKUP_LABELS = frozenset({"HANDLE", "HASHTAG", "CASHTAG", "URL"})
KEYWORD_ATTRS = ["LOWER", "IS_ALPHA", "IS_STOP", "LENGTH"]

# Token patterns over the tokenizer built in _tokenizer_keeps_tags, where "#tag" and "$AAPL" are
# single tokens. They use only precomputed lexeme attributes (first character, punctuation):
# regex predicates here cost a third of the pipeline's time, as they run on every token. The
# exact shapes are then checked on the few candidates only (MARKUP_SHAPES).
MARKUP_PATTERNS = [
    {"label": "HASHTAG", "pattern": [{"PREFIX": "#", "IS_PUNCT": False}]},
    {"label": "CASHTAG", "pattern": [{"PREFIX": "$", "IS_PUNCT": False}]},
    {"label": "HANDLE", "pattern": [{"PREFIX": "@", "IS_PUNCT": False}]},
    {"label": "URL", "pattern": [{"LIKE_URL": True}]},
]
# A hashtag needs a letter ("#1" is "number one"); a cashtag is 1-6 letters. Every check is
# linear: `#\w*[^\W\d_]\w*` backtracked quadratically (0.6 s on one 10,000-character token),
# so the letter is looked for separately, and nothing longer than MAX_MARKUP_CHARS is markup.
MAX_MARKUP_CHARS = 140
_LETTER = re.compile(r"[^\W\d_]")
MARKUP_SHAPES = {
    "HASHTAG": re.compile(r"#\w+"),
    "CASHTAG": re.compile(r"\$[A-Za-z]{1,6}"),
    "HANDLE": re.compile(r"@\w{1,50}"),
}
# spaCy's tokenizer strips prefixes and suffixes one at a time, re-slicing the rest each time:
# quadratic in a run of punctuation (77 s for 10,000 "+"). Such runs are cut into short pieces
# for the tokenizer only (VADER and CLD2 see the original text, and are linear).
_PUNCT_RUN = re.compile(r"[^\w\s]{8}")

# CLD2 accepts only "interchange-valid" UTF-8: control characters, lone surrogates and
# noncharacters make it raise, so they are blanked out together with the URLs, @handles and
# $cashtags that would only mislead it.
_NONCHARACTERS = "".join(f"\\U{plane:04x}fffe\\U{plane:04x}ffff" for plane in range(17))
_LANG_NOISE = re.compile(
    r"https?://\S+|www\.\S+|[@$]\w+"
    r"|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef" + _NONCHARACTERS + "]"
)
# Lone surrogates (JSON allows "\\ud800") cannot be encoded as UTF-8, which spaCy needs.
_SURROGATES = re.compile(r"[\ud800-\udfff]")
# CLD2 still uses a few pre-ISO-639-1 codes.
_LANG_ALIASES = {"iw": "he", "jw": "jv", "in": "id", "un": "und"}
# spaCy names Norwegian Bokmål by its own code.
_SPACY_LANG_CODES = {"no": "nb"}


@dataclass(frozen=True, slots=True)
class Analysis:
    sentiment: str
    compound: float
    positive: float
    neutral: float
    negative: float
    entities: list[dict]
    hashtags: list[str]
    keywords: list[str]
    lang: str


def analyze(
    texts: Sequence[str], brand_terms: Sequence[str] = (), product_terms: Sequence[str] = ()
) -> list[Analysis]:
    """One Analysis per text, in order; brand/product terms match case-insensitively."""
    nlp = pipeline(_term_key(brand_terms), _term_key(product_terms))
    cleaned = [_SURROGATES.sub("\ufffd", text) for text in texts]
    docs = nlp.pipe([_PUNCT_RUN.sub(r"\g<0> ", text) for text in cleaned], batch_size=BATCH_SIZE)
    analyses = [_analyze_doc(text, doc) for text, doc in zip(cleaned, docs, strict=True)]
    if len(nlp.vocab) > MAX_VOCAB_ENTRIES:
        # spaCy keeps every token string it has ever seen (URLs, handles, typos): ~450 bytes
        # each, so a long-running worker would grow without bound. Fresh pipelines cost ms.
        log.info("rebuilding spaCy pipelines", extra={"vocab_entries": len(nlp.vocab)})
        pipeline.cache_clear()
    return analyses


def _analyze_doc(text: str, doc: Doc) -> Analysis:
    scores = sentiment_analyzer().polarity_scores(text)
    compound = scores["compound"]
    lang = detect_language(text)
    ents = doc.ents  # a property that builds new Span objects on every read
    entities = _entities(ents)
    markup = {i for ent in ents if ent.label_ in MARKUP_LABELS for i in range(ent.start, ent.end)}
    return Analysis(
        sentiment=sentiment_label(compound),
        compound=compound,
        positive=scores["pos"],
        neutral=scores["neu"],
        negative=scores["neg"],
        entities=entities,
        hashtags=[e["text"][1:] for e in entities if e["label"] == "HASHTAG"],
        keywords=_keywords(doc, markup, stop_words(lang)),
        lang=lang,
    )


def sentiment_label(compound: float) -> str:
    if compound >= POSITIVE_AT:
        return "positive"
    if compound <= NEGATIVE_AT:
        return "negative"
    return "neutral"


class _WindowedVader(SentimentIntensityAnalyzer):
    """VADER with the same scores, linear in the text. Its negation and idiom checks lowercase
    the whole word list for every sentiment word (quadratic: 21 s for 1,500 emoji, which VADER
    expands to words) although they read only the three words before and two after; they get
    just that window here."""

    @staticmethod
    def _negation_check(valence: float, words: list[str], start_i: int, i: int) -> float:
        low = max(0, i - 3)
        return VADER._negation_check(valence, words[low : i + 1], start_i, i - low)

    @staticmethod
    def _special_idioms_check(valence: float, words: list[str], i: int) -> float:
        low = max(0, i - 3)
        return VADER._special_idioms_check(valence, words[low : i + 3], i - low)


@functools.cache
def sentiment_analyzer() -> SentimentIntensityAnalyzer:
    # Loading the lexicon takes ~50 ms: once per process.
    return _WindowedVader()


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language, or "und" when CLD2 is not confident."""
    try:
        reliable, _, details = pycld2.detect(
            _LANG_NOISE.sub(" ", text), isPlainText=True, bestEffort=True
        )
    except (pycld2.error, ValueError) as exc:
        # The sanitising above should make this unreachable; a language is never worth a crash.
        log.warning("language detection failed: %s", exc)
        return "und"
    code = details[0][1]
    if not reliable or code.startswith("xx"):
        return "und"
    return _LANG_ALIASES.get(code, code)


def _entities(spans: Iterable[Span]) -> list[dict]:
    """Entities in text order, normalised and de-duplicated so that counts across mentions add
    up: brands/products take their configured spelling, tags and handles their canonical case."""
    seen: dict[tuple[str, str], dict] = {}
    for span in spans:
        if span.label_ in MARKUP_LABELS and not _is_markup(span.label_, span.text):
            continue
        entity = {"text": _canonical(span), "label": span.label_}
        seen.setdefault((entity["text"], entity["label"]), entity)
    return list(seen.values())


def _is_markup(label: str, text: str) -> bool:
    if len(text) > MAX_MARKUP_CHARS:
        return False
    shape = MARKUP_SHAPES.get(label)
    if shape is not None and not shape.fullmatch(text):
        return False
    return label != "HASHTAG" or _LETTER.search(text) is not None


def _canonical(span: Span) -> str:
    label = span.label_
    if label in ("BRAND", "PRODUCT"):
        return span.ent_id_ or span.text
    if label == "CASHTAG":
        return span.text.upper()
    if label in ("HASHTAG", "HANDLE"):
        return span.text.lower()
    return span.text


def _keywords(doc: Doc, skip: set[int], extra_stop_words: frozenset[str]) -> list[str]:
    """Up to MAX_KEYWORDS lowercase words, most frequent first, then by first appearance."""
    strings = doc.vocab.strings
    counts: Counter[str] = Counter()
    # One array read instead of a Token object per word: this loop was a third of analyze().
    for i, (lower, alpha, stop, length) in enumerate(doc.to_array(KEYWORD_ATTRS).tolist()):
        if alpha and not stop and 2 <= length <= MAX_KEYWORD_CHARS and i not in skip:
            word = strings[lower]
            if word not in extra_stop_words:
                counts[word] += 1
    # A stable sort (reverse=True keeps it stable) leaves equal counts in first-seen order;
    # Counter.most_common(n) would go through heapq, several times slower on a dozen words.
    return sorted(counts, key=counts.__getitem__, reverse=True)[:MAX_KEYWORDS]


@functools.cache
def stop_words(lang: str) -> frozenset[str]:
    """spaCy's stop-word list for a language (plain data, no model), else empty."""
    code = _SPACY_LANG_CODES.get(lang, lang.split("-")[0])
    path = SPACY_LANG_DIR / code / "stop_words.py"
    if not code.isalpha() or not path.is_file():
        return frozenset()
    # Run by path: importing the language package also builds its tokenizer exceptions,
    # which takes 2.4 s for French; the stop-word file alone is a plain set literal.
    return frozenset(runpy.run_path(str(path))["STOP_WORDS"])


def _term_key(terms: Sequence[str]) -> tuple[str, ...]:
    """Canonical cache key: stripped, blank-free, case-insensitively unique, sorted."""
    unique: dict[str, str] = {}
    for term in terms:
        cleaned = " ".join(term.split())
        if cleaned:
            unique.setdefault(cleaned.lower(), cleaned)
    return tuple(sorted(unique.values(), key=str.lower))


@functools.lru_cache(maxsize=32)
def pipeline(brand_terms: tuple[str, ...] = (), product_terms: tuple[str, ...] = ()) -> Language:
    """The blank-English pipeline with an entity ruler for markup and the given terms.

    Building one takes milliseconds per term, so it is cached per project configuration.
    """
    nlp = spacy.blank("en")
    _tokenizer_keeps_tags(nlp)
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "validate": False})
    ruler.add_patterns(
        MARKUP_PATTERNS
        + [{"label": "BRAND", "pattern": term, "id": term} for term in brand_terms]
        + [{"label": "PRODUCT", "pattern": term, "id": term} for term in product_terms]
    )
    return nlp


def _tokenizer_keeps_tags(nlp: Language) -> None:
    # The default prefixes split "#" and "$" off any word ("#", "tag"); keep them attached when
    # a word character follows, so hashtags and cashtags are single tokens. "$100" still splits.
    replacements = {"#": r"#(?!\w)", r"\$": r"\$(?![A-Za-z])"}
    prefixes = [replacements.get(p, p) for p in nlp.Defaults.prefixes]
    nlp.tokenizer.prefix_search = compile_prefix_regex(prefixes).search
