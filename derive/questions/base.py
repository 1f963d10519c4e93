"""The Question unit: what every question of the assignment provides, generic in its answer type.

A question is one package (derive/questions/<key>/: its settings, derivation, checks and
views), two templates (templates/<key>/), and one line in each of derive/questions/sections.py
(its config tables) and derive/questions/registry.py (the question). Its sub-questions are declared once,
as `Part`s of a `Parts` class; the registry numbers the question, and with it every id a
check, the question sheet or the grader prints ("2.4(b)"), so no call site types one.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, overload

from derive.answer import Boxed, Issued, Row
from derive.config import Config
from derive.published import Section, section_of
from derive.variants_spec import VariantsSpec, requirements

if TYPE_CHECKING:
    from derive.graded_parts import GradedPart
    from derive.properties import Property
    from derive.verify import Planned

A = TypeVar("A")  # the answer its derivation returns
V = TypeVar("V")  # the view its solutions template prints (a frozen dataclass)
P = TypeVar("P")  # the prompt its question-sheet template prints
Table = dict[str, Any]  # a raw TOML table, as `config.from_dict` reads it


class Part:
    """A sub-question declared in a `Parts` class: `beam = Part("4(b)", 8)` is 2.4(b) in question 2.

    `Part(None, 6)` is the whole question; `Part("4")` without points is a group (2.4: both of
    its sub-questions); `Part.span("1", "3")` files checks under 4.1-4.3. `cited=True`: its
    prose quotes figures from papers, code or issue threads (cited, not checked), which the
    document's introduction says. `inputs`: the config keys its graded answers depend on
    (dotted, `birnn.instance.W_f`); the question sheet must print every one of them.
    """

    def __init__(self, suffix: str | None, points: int = 0, last: str | None = None, *, cited: bool = False,
                 inputs: tuple[str, ...] = ()) -> None:
        self.suffix, self.points, self.last, self.cited, self.inputs = suffix, points, last, cited, inputs

    @classmethod
    def span(cls, first: str, last: str) -> Part:
        return cls(first, 0, last)

    def issue(self, number: str) -> Issued:
        if self.suffix is None:
            return Issued(number, self.points, self.cited)
        label = f"{number}.{self.suffix}"
        if self.last is not None:
            label += f"-{number}.{self.last}"
        return Issued(label, self.points, self.cited)

    @overload
    def __get__(self, obj: None, owner: type[Parts]) -> Issued: ...
    @overload
    def __get__(self, obj: Parts, owner: type[Parts]) -> Issued: ...
    def __get__(self, obj: Parts | None, owner: type[Parts]) -> Issued:
        if owner.number is None:
            raise RuntimeError(f"{owner.__name__}: the question is not registered, so it has no number yet")
        return self.issue(owner.number)


class Parts:
    """A question's sub-questions as class attributes (`Part`s); the registry sets `number`."""

    number: ClassVar[str | None] = None

    @classmethod
    def declared(cls) -> dict[str, Part]:
        return {name: value for klass in reversed(cls.__mro__) for name, value in vars(klass).items()
                if isinstance(value, Part)}

    @classmethod
    def all(cls) -> list[Issued]:
        """Every declared part with its id, in declaration order."""
        if cls.number is None:
            raise RuntimeError(f"{cls.__name__}: the question is not registered, so it has no number yet")
        return [part.issue(cls.number) for part in cls.declared().values()]

    @classmethod
    def points(cls) -> dict[str, int]:
        """The sub-questions that carry points, id -> points (the question sheet's and the grader's)."""
        return {p.id: p.points for p in cls.all() if p.points}

    @classmethod
    def inputs(cls) -> dict[str, tuple[str, ...]]:
        """Each sub-question's declared inputs, id -> config keys (the sheet prints them all)."""
        if cls.number is None:
            raise RuntimeError(f"{cls.__name__}: the question is not registered, so it has no number yet")
        return {part.issue(cls.number).id: part.inputs for part in cls.declared().values()}


class PartIds:
    """A question's issued sub-questions by name, as attributes only (`heading.parts.beam`): a
    template cannot reach a dict method that a part's name (`items`, `get`) would collide with."""

    __slots__ = ("_by_name",)
    _by_name: dict[str, Issued]

    def __init__(self, by_name: Mapping[str, Issued]) -> None:
        object.__setattr__(self, "_by_name", dict(by_name))

    def __getattr__(self, name: str) -> Issued:
        try:
            return self._by_name[name]
        except KeyError:
            raise AttributeError(f"no sub-question named {name}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("PartIds is read-only")


@dataclass(frozen=True)
class Heading:
    """What every template of a question may print about the question itself: its number, its
    title and its sub-questions by name (`heading.parts.beam.id` is "2.4(b)", `.points` 8)."""

    number: str
    title: str
    parts: PartIds
    points: int  # the question's total


@dataclass(frozen=True)
class Misconception:
    """A plausible mistake, derived: the answers the question's own models give under a changed
    convention (never typed values). `values`: answers.json field, dotted with list positions
    from 1 as the grader's part paths ("decoding.beam.1.words") -> the value under the mistake,
    in the form a submission may hold. `whole`: named only when every field it changes is
    answered with its value (a table swapped as a whole, not one cell)."""

    id: str  # unique in the assignment, kebab-case: "unbiased-variance"
    sentence: str  # one sentence to the student, naming the mistake
    values: Mapping[str, Any]
    whole: bool = False


class Question(ABC, Generic[A, V, P]):
    """One question of the assignment, generic in the answer its derivation returns, the view its
    solutions template prints (as `v`) and the prompt its question-sheet template prints (as `d`).

    The pipeline calls, in order: `derive` (config -> answer), `plan` (the checks of that
    answer, PyTorch ones deferred), `view` (the plain data its template prints) and `as_json`
    (its part of answers.json); `derive.solve` adds `worked` (steps for a notebook). The
    instructor kit calls `prompt` (the question sheet's data, from the config alone),
    `randomize` (a variant's config table), `warm` (what a batch computes once before its
    workers fork), `graded` (the parts of a key a submission is graded on) and
    `misconceptions` (the mistakes the grader can name, derived on a variant); `properties` are
    what a variant may be required to have.
    """

    key: ClassVar[str]  # the config section, the answers.json key, the templates' folder
    title: ClassVar[str]
    parts: ClassVar[type[Parts]]
    properties: ClassVar[Mapping[str, Property]] = {}
    # Fields of its answers.json section that are not results (below the section, dotted): the
    # config's inputs restated, or words naming the method a count was made with. Not certified.
    not_answers: ClassVar[tuple[str, ...]] = ()
    # Lists of its section a submission may give in any order, each as (its field, the field of
    # an entry that identifies it): the grader matches them to the key's entries (2.4's beams).
    unordered: ClassVar[tuple[tuple[str, str], ...]] = ()

    @property
    def number(self) -> str:
        if self.parts.number is None:
            raise RuntimeError(f"question {self.key} is not registered")
        return self.parts.number

    @property
    def solutions_template(self) -> str:
        """Its section of the solutions, templates/<key>/solutions.tex.j2: prints `v` (the view)."""
        return f"{self.key}/solutions.tex.j2"

    @property
    def sheet_template(self) -> str:
        """Its question on the sheet, templates/<key>/sheet.tex.j2: prints `d` (the prompt)."""
        return f"{self.key}/sheet.tex.j2"

    def heading(self) -> Heading:
        issued = {name: part.issue(self.number) for name, part in self.parts.declared().items()}
        return Heading(self.number, self.title, PartIds(issued), sum(self.parts.points().values()))

    @abstractmethod
    def derive(self, config: Config) -> A: ...

    @abstractmethod
    def plan(self, answer: A, config: Config, published: Section | None = None) -> Planned:
        """The checks of an answer. Each certifies fields of `published`, this question's section
        of answers.json as written and parsed back (the build passes it); None publishes the
        answer here (`self.section`), as a test that plants an error in the answer wants."""

    def section(self, answer: A) -> Section:
        """This question's section of answers.json, serialized and parsed back."""
        return section_of(self.key, self.as_json(answer))

    def boxed(self, section: Section) -> list[Boxed]:
        """The final answers the solutions box, each as the document must print it, made from the
        published section: the build finds each in a box of the rendered section."""
        return []

    @abstractmethod
    def view(self, answer: A, pytorch: bool) -> V:
        """What the solutions template prints. `pytorch`: whether the PyTorch checks run (the
        prose names only checks that run)."""

    @abstractmethod
    def as_json(self, answer: A) -> dict[str, Any]: ...

    @abstractmethod
    def prompt(self, config: Config) -> P:
        """What the question sheet's template prints: the config's data, no result."""

    @abstractmethod
    def randomize(self, rng: random.Random, spec: VariantsSpec) -> Table:
        """A seeded draw of this question's config table within `[variants]`."""

    def warm(self, spec: VariantsSpec) -> None:
        """Compute once what every variant's derivation shares (cached per process), so that
        the workers a batch forks inherit it."""

    def worked(self, answer: A) -> dict[str, tuple[str, tuple[Row, ...]]]:
        """The worked steps `derive.solve` hands a notebook, name -> (title, rows); none when the
        question's work is tables and figures (they are in the PDF)."""
        return {}

    def graded(self, key: dict[str, Any]) -> list[GradedPart]:
        """The parts of a key (an answers.json object) that a submission is graded on."""
        return []

    def misconceptions(self, config: Config) -> list[Misconception]:
        """The catalog of this question's misconceptions on one variant, each derived from the
        variant's config (derive/questions/<key>/misconceptions.py; the grader names them)."""
        return []


class Registry:
    """The questions in the assignment's order; registering numbers each one (1, 2, ...)."""

    def __init__(self, *questions: Question[Any, Any, Any], tables: tuple[str, ...]) -> None:
        """`tables`: the keys of the questions' config tables (derive/questions/sections.py), which
        must be the questions' keys in the same order."""
        self.questions: tuple[Question[Any, Any, Any], ...] = ()
        self._position: dict[str, int] = {}
        self.extend(questions, tables)

    def extend(self, questions: tuple[Question[Any, Any, Any], ...], tables: tuple[str, ...]) -> None:
        """Registers questions after those registered (derive/questions/registry.py's `register`)."""
        listed = tuple(q.key for q in (*self.questions, *questions))
        if listed != tables:
            raise RuntimeError(f"the registry lists the questions {', '.join(listed)}, but the config's tables "
                               f"(derive/questions/sections.py) are {', '.join(tables)}: list each question in both, "
                               "in the same order")
        for number, q in enumerate(questions, start=len(self.questions) + 1):
            if q.parts.number not in (None, str(number)):
                raise RuntimeError(f"{q.key} is registered twice")
            q.parts.number = str(number)
        self.questions = (*self.questions, *questions)
        self.properties()  # every declared property proved by its question: checked at registration
        self._position = {p.id: i for i, q in enumerate(self.questions) for p in q.parts.all()}

    def __iter__(self) -> Iterator[Question[Any, Any, Any]]:
        return iter(self.questions)

    def __len__(self) -> int:
        return len(self.questions)

    def __getitem__(self, key: str) -> Question[Any, Any, Any]:
        for q in self.questions:
            if q.key == key:
                return q
        raise KeyError(key)

    def keys(self) -> tuple[str, ...]:
        return tuple(q.key for q in self.questions)

    def properties(self) -> dict[str, tuple[Question[Any, Any, Any], Property]]:
        """Every property a variant may require, name -> (the question whose answer proves it, its
        proof), in the order the questions' settings declare them (`variants_spec.requirements`):
        a registered question proves exactly the properties declared for it."""
        declared_all = requirements()
        out: dict[str, tuple[Question[Any, Any, Any], Property]] = {}
        for q in self.questions:
            for name, prop in q.properties.items():
                declared = declared_all.get(name)
                if declared is None or declared.question != q.key:
                    raise RuntimeError(f"{q.key} proves property {name}, which its settings do not declare")
                out[name] = (q, prop)
        keys = {q.key for q in self.questions}
        missing = [name for name, declared in declared_all.items() if declared.question in keys and name not in out]
        if missing:
            raise RuntimeError(f"no question proves the declared properties {', '.join(missing)}")
        return {name: out[name] for name in declared_all if name in out}

    def position(self, part_id: str) -> int:
        """The position of the question an issued id belongs to (checks are listed in question order)."""
        return self._position[part_id]
