"""The keys of the config's tables, each declared once (derive/declare.py): config.py reads
with them, variants_spec.py draws within them, and derive/schema_gen.py writes the JSON
Schema and docs/config.md's key table from them."""

from __future__ import annotations

from derive.declare import Choice, Int, Schema, Shaped, Table, shown

TEXT_MAX_CHARS = 200  # a title or name: one line of at most this many characters
TENSOR_MAX_ENTRIES = 4096
TENSOR_MAX_MAGNITUDE = 10**15
TREE_MAX_EDGES = 200_000
TREE_MAX_PATH = 1000  # characters of one edge's key
TREE_MIN_LOGP = -1000
BIRNN_MAX_MAGNITUDE = 100
ACTIVATIONS = ("tanh", "sigmoid")
BIRNN_WEIGHTS = ("W_f", "U_f", "V_f", "W_b", "U_b", "V_b")  # the BiRNN's six d x d matrices, by plain name
FONTS = "of the characters the fonts show (below)"


def _text(name: str, doc: str, required: bool) -> Shaped:
    pattern = r"^[^\n]*\S[^\n]*$" if required else r"^[^\n]*$"
    words = f"one line, at most {TEXT_MAX_CHARS} characters, {FONTS}" + ("" if required else "; optional")
    return Shaped(name, doc, {"type": "string", **({"minLength": 1} if required else {}),
                              "maxLength": TEXT_MAX_CHARS, "pattern": pattern}, words)


def _numbers(bound: int, *sizes: int) -> Schema:
    """An array of arrays ... of numbers of magnitude at most `bound`, each level at most `sizes`[i] long (0: any)."""
    inner: Schema = {"type": "number", "minimum": -bound, "maximum": bound}
    for size in reversed(sizes):
        inner = {"type": "array", "minItems": 1, **({"maxItems": size} if size else {}), "items": inner}
    return inner


DOCUMENT = Table.of(
    "document", "",
    _text("title", "the title of the PDF (escaped)", required=True),
    _text("variant_id", "a variant's id (a roster's student id), printed at the top of every page of the question "
          "sheet (escaped; `derive variants` writes it)", required=False),
    _text("student_name", "the student's name, printed on the question sheet's name line (escaped; "
          "`derive variants` writes it)", required=False),
)

NORMALIZATION = Table.of(
    "normalization", "",
    Shaped("tensor", "the tensor of Question 1: N x C x L numbers (batch x channels x features)",
           _numbers(TENSOR_MAX_MAGNITUDE, 0, 0, 0),
           f"rectangular, at most {TENSOR_MAX_ENTRIES} entries, magnitudes at most {shown(TENSOR_MAX_MAGNITUDE)}"),
)

DECODING = Table.of(
    "decoding", "",
    Int("beam_width", "B", 1, 10**6),
    Int("steps", "T; defaults to the depth of a tree you give, else 3", 1, 10**6, note="at most the tree's depth"),
    Int("vocabulary_size", "N, for 2.2's figures", 2, 10**12,
        note="at least the tree's distinct words + 1 (`<BOS>`)"),
    Shaped("tree", '`"w1 w2 ..." = log p(last word given <BOS> and the words before it)`',
           {"type": "object", "minProperties": 1, "maxProperties": TREE_MAX_EDGES,
            "propertyNames": {"pattern": r"^[^\s]+( [^\s]+)*$", "maxLength": TREE_MAX_PATH},
            "additionalProperties": {"type": "number", "minimum": TREE_MIN_LOGP, "maximum": 0}},
           f"log p in [{TREE_MIN_LOGP}, 0]; at most {TREE_MAX_EDGES:,} edges; paths up to {TREE_MAX_PATH:,} "
           "characters; see below"),
)

_BIRNN_SIZES = (
    Choice("activation", "the Jacobians are derived from it", ACTIVATIONS),
    Int("hidden_size", "d of the checks, the drawn graph and the instance", 1, 16),
    Int("steps", "T of the checks, the drawn graph and the instance", 1, 12),
    Int("seed", "seed of the random instance when none is given", 0, 2**32 - 1),
)


def _instance() -> Table:
    d, steps = (key.high for key in _BIRNN_SIZES[1:3] if isinstance(key, Int))
    bound = BIRNN_MAX_MAGNITUDE
    words = f"all of the required ones or none; magnitudes at most {bound}"
    matrices = [Shaped(name, "d x d", _numbers(bound, d, d), words) for name in BIRNN_WEIGHTS]
    rows = [Shaped(name, f"T x d, row t-1 is {name}_t", _numbers(bound, steps, d), words) for name in ("x", "z")]
    vectors = [Shaped(name, "d numbers, zeros when left out", _numbers(bound, d), f"optional; magnitudes at most "
                      f"{bound}") for name in ("h0_f", "h_end_b")]
    return Table.of("instance", "an explicit instance: all of the required arrays or none (`derive variants` writes "
                    "the instance it draws here, with two decimals)", *matrices, *rows, *vectors,
                    required=[*BIRNN_WEIGHTS, "x", "z"])


BIRNN = Table.of("birnn", "", *_BIRNN_SIZES, _instance())

LORA = Table.of(
    "lora", "",
    Int("d", "embedding dimension", 1, 10**6),
    Int("r", "adapter rank", 1, 10**6, note="below d"),
    Int("n", "context length", 1, 10**7),
    Int("heads", "h", 1, 4096),
    Int("bits", "m, QLoRA's integer precision", 2, 16),
)

QUESTION_TABLES = (NORMALIZATION, DECODING, BIRNN, LORA)
