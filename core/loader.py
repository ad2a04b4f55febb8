"""Read survey, categories and places files into their models, refusing what is no survey.

A file is measured before it is read, its YAML aliases are counted before they are built,
and YAML is parsed into nodes first so every value keeps the line it came from; core.problems
turns what went wrong into words an organizer understands.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from core.contributions import (
    DEFAULT_CATEGORIES,
    FORM_IDS,
    CategoriesFile,
    Category,
    Place,
    PlacesFile,
)
from core.problems import (
    FileProblem,
    FileTooLarge,
    Located,
    LocatedList,
    explain,
    megabytes,
)
from core.says import N_, raw, says
from core.survey import Survey
from core.yaml_problems import KEY_NOT_A_NAME, explain_yaml, key_on_line

M = TypeVar("M", bound=BaseModel)

# Files in the surveys folder that are not surveys: the organizers' lists for ideas and tips.
CATEGORIES_FILE = "categories.yaml"
PLACES_FILE = "places.yaml"

# The largest survey, categories or places file that is read at all. The shipped surveys are
# about 5 KB and a survey of 100 questions, the most there may be, about 60 KB, while an 11 MB
# file took 44 s and 1.4 GB to check. 1 MB of the densest YAML still loads in a few seconds.
MAX_FILE_BYTES = 1024 * 1024
# YAML aliases (*name) repeat an anchored part (&name) wherever they stand: a file of a few
# KB can stand for millions of values, which pydantic would check one by one. This is how
# many values aliases may add; sharing a list of choices between questions adds hundreds.
MAX_ALIASED_VALUES = 100_000


class SurveyFileError(Exception):
    """One or more survey files could not be read; `problems` says where and why."""

    def __init__(self, problems: Sequence[FileProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping key and sequence item."""


# libyaml's parser when PyYAML has it: start-up reads every survey file, and the C parser
# reads them about five times faster. Construction (the line bookkeeping) stays Python. A
# file it refuses is read again by the Python parser, whose error positions are the ones
# organizers are shown.
_CBase: Any = getattr(yaml, "CSafeLoader", None)


class _FastLineLoader(_CBase or yaml.SafeLoader):  # type: ignore[misc]
    """_LineLoader on libyaml."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    lines: dict[Any, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, dict | list):
            raise yaml.constructor.ConstructorError(
                None,
                None,
                str(says(KEY_NOT_A_NAME)),
                key_node.start_mark,
            )
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key '{key}' appears twice", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        lines[key] = key_node.start_mark.line + 1
    return Located(mapping, lines, node.start_mark.line + 1)


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> list[Any]:
    items = [loader.construct_object(child, deep=True) for child in node.value]
    return LocatedList(items, [child.start_mark.line + 1 for child in node.value])


for _loader in (_LineLoader, _FastLineLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_survey(path: Path, display: str | None = None) -> Survey:
    """Read and check one survey file; raise SurveyFileError naming every problem."""
    shown = display or str(path)
    return parse_survey(read_file(path, shown), shown)


def read_file(path: Path, shown: str, what: str = "a survey file") -> str:
    """The text of a file in the surveys folder; one over MAX_FILE_BYTES is refused unread."""
    try:
        size = path.stat().st_size
        if size <= MAX_FILE_BYTES:
            with path.open(encoding="utf-8") as handle:
                # Bounded even so: the file may have grown since it was measured.
                text = handle.read(MAX_FILE_BYTES + 1)
            if len(text) <= MAX_FILE_BYTES:
                return text
            size = max(size, len(text.encode("utf-8")))
    except (OSError, UnicodeDecodeError) as exc:
        raise SurveyFileError([unreadable(shown, exc)]) from exc
    raise SurveyFileError([too_large(shown, size, what)])


def unreadable(shown: str, exc: Exception) -> FileProblem:
    """A file that is no text: the reason is Python's, in English."""
    return FileProblem(shown, None, (), says(N_("cannot be read ({error})"), error=raw(str(exc))))


# A file over MAX_FILE_BYTES, by what it should have been.
TOO_LARGE = {
    "a survey file": N_(
        "the file is {size} MB; a survey file may be at most {limit} MB (even one of 100 "
        "questions, the most allowed, is about 60 KB): check that this is the right file"
    ),
    "a categories file": N_(
        "the file is {size} MB; a categories file may be at most {limit} MB: check that "
        "this is the right file"
    ),
    "a places file": N_(
        "the file is {size} MB; a places file may be at most {limit} MB: check that this is "
        "the right file"
    ),
}


def too_large(shown: str, size: int, what: str = "a survey file") -> FileTooLarge:
    message = says(
        TOO_LARGE[what],
        size=f"{megabytes(size):.1f}",
        limit=f"{megabytes(MAX_FILE_BYTES):g}",
    )
    return FileTooLarge(shown, None, (), message, size=size)


def parse_survey(text: str, shown: str) -> Survey:
    return parse_file(text, shown, Survey)


def parse_file(text: str, shown: str, model: type[M]) -> M:
    """Parse YAML into `model`, explaining every problem with its line."""
    try:
        try:
            data = _yaml(text, shown, _FastLineLoader)
        except yaml.YAMLError:
            data = _yaml(text, shown, _LineLoader)  # to explain it as before
    except RecursionError as exc:
        # Both parsers go one level of Python (or C) calls deeper for each '[', '{' or
        # indented field: some thousand of them in a row is no survey.
        message = says(
            N_(
                "lists and fields are nested inside each other too deeply here (hundreds of "
                "levels of [, {{ or indentation); a survey needs only a few"
            )
        )
        raise SurveyFileError([FileProblem(shown, None, (), message)]) from exc
    except yaml.MarkedYAMLError as exc:
        line, message = explain_yaml(exc, text)
        key = key_on_line(text, line)
        if key and not str(message).startswith(f"'{key}'"):
            message = says(N_("'{key}': {message}"), key=key, message=message)
        raise SurveyFileError([FileProblem(shown, line, (), message, key)]) from exc
    except yaml.YAMLError as exc:
        message = says(N_("is not valid YAML ({error})"), error=raw(str(exc)))
        raise SurveyFileError([FileProblem(shown, None, (), message)]) from exc
    if not isinstance(data, dict):
        expected = {
            Survey: N_("should be a survey: fields such as 'id:', 'title:'"),
            CategoriesFile: N_("should be a list of categories under 'categories:'"),
            PlacesFile: N_("should be a list of places under 'places:'"),
        }.get(model, N_("should be a mapping of fields"))
        raise SurveyFileError([FileProblem(shown, 1, (), says(expected))])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        top = [info.alias or name for name, info in model.model_fields.items()]
        problems = explain(exc, data, shown, top)
        raise SurveyFileError(problems) from exc


def _yaml(text: str, shown: str, kind: type[yaml.SafeLoader]) -> Any:
    """yaml.load, refusing a document that its aliases make huge before building it."""
    loader = kind(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _refuse_alias_bomb(node, shown)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _refuse_alias_bomb(root: yaml.Node, shown: str) -> None:
    """Count the values of the document as if every alias were written out, without doing so.

    An alias is the very node it names, so a list or mapping reached twice is one an alias
    repeats. Each is counted once, from the leaves up: linear in the file, whatever it holds.
    """
    scalar = yaml.ScalarNode
    nodes: dict[int, yaml.Node] = {}  # the lists and mappings, each once
    size: dict[int, int] = {}  # how many values each stands for, aliases written out
    written = 1  # how many the file holds as written, an alias counting as one
    entered: set[int] = set()
    work: list[tuple[yaml.Node, bool]] = [(root, False)]
    while work:
        node, counted = work.pop()
        key = id(node)
        if counted:
            entered.discard(key)
            children = _children(node)
            size[key] = 1 + sum(1 if type(c) is scalar else size[id(c)] for c in children)
            continue
        if key in size:
            continue  # repeated by an alias: counted already
        if key in entered:
            return  # an alias inside its own anchor: the constructor explains that one
        children = _children(node)
        entered.add(key)
        nodes[key] = node
        written += len(children)
        work.append((node, True))
        work.extend((child, False) for child in children if type(child) is not scalar)
    total = size[id(root)]
    if total - written <= MAX_ALIASED_VALUES:
        return
    # Point at the anchored part whose repeats add the most, where it is written.
    uses: dict[int, int] = {}
    for node in nodes.values():
        for child in _children(node):
            uses[id(child)] = uses.get(id(child), 0) + 1
    worst = max(nodes.values(), key=lambda n: (uses.get(id(n), 1) - 1) * size[id(n)])
    template = (
        N_(
            "aliases (*name) repeat the part anchored here (&name) so often that the file "
            "stands for {count} values; aliases may add at most {limit}: write the repeated "
            "part out, or repeat it less"
        )
        if total < 10**9
        else N_(
            "aliases (*name) repeat the part anchored here (&name) so often that the file "
            "stands for billions of values; aliases may add at most {limit}: write the "
            "repeated part out, or repeat it less"
        )
    )
    message = says(template, count=f"{total:,}", limit=f"{MAX_ALIASED_VALUES:,}")
    raise SurveyFileError([FileProblem(shown, worst.start_mark.line + 1, (), message)])


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def load_surveys(paths: Iterable[Path]) -> list[Survey]:
    """Load several files; report the problems of all of them at once, and duplicate ids."""
    surveys: list[Survey] = []
    problems: list[FileProblem] = []
    owner: dict[str, Path] = {}
    for path in paths:
        try:
            survey = load_survey(path)
        except SurveyFileError as exc:
            problems.extend(exc.problems)
            continue
        taken = _id_problem(path, survey, owner)
        if taken is not None:
            problems.append(taken)
            continue
        owner[survey.id] = path
        surveys.append(survey)
    if problems:
        raise SurveyFileError(problems)
    return surveys


def _id_problem(path: Path, survey: Survey, owner: dict[str, Path]) -> FileProblem | None:
    """A survey whose id another file of the folder (`owner`) or the idea and tip forms use."""
    if survey.id in owner:
        message = says(
            N_("the id '{id}' is also used by {other}"), id=survey.id, other=owner[survey.id]
        )
        return FileProblem(str(path), None, (), message)
    return reserved_id(survey, str(path))


def check_survey(text: str, shown: str) -> Survey:
    """One survey file's text checked as `validate` checks the file: every problem of its
    own, and an id that belongs to the idea or tip form (SurveyFileError)."""
    survey = parse_survey(text, shown)
    reserved = reserved_id(survey, shown)
    if reserved is not None:
        raise SurveyFileError([reserved])
    return survey


def reserved_id(survey: Survey, shown: str) -> FileProblem | None:
    if survey.id not in FORM_IDS:
        return None
    template = (
        N_(
            "the id '{id}' is reserved for the form residents send safety tips with; choose "
            "another"
        )
        if survey.id == "tip"
        else N_("the id '{id}' is reserved for the form residents send ideas with; choose another")
    )
    return FileProblem(shown, None, (), says(template, id=survey.id))


def survey_files(folder: Path) -> list[Path]:
    """The survey files of a folder: every YAML file but the lists of categories and places."""
    found = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    return [path for path in found if path.name not in (CATEGORIES_FILE, PLACES_FILE)]


@dataclass(frozen=True)
class Folder:
    """Everything the organizers' folder defines."""

    surveys: list[Survey]
    categories: tuple[Category, ...]
    places: tuple[Place, ...]


def load_folder(folder: Path) -> Folder:
    """Read surveys, categories.yaml and places.yaml; report every problem of all at once."""
    return load_paths([*survey_files(folder), folder / CATEGORIES_FILE, folder / PLACES_FILE])


def load_paths(paths: Iterable[Path]) -> Folder:
    """Read survey files and, by their names, the categories and places files among them.

    A missing categories or places file means the defaults: no file is needed to start.
    """
    problems: list[FileProblem] = []
    categories: tuple[Category, ...] = DEFAULT_CATEGORIES
    places: tuple[Place, ...] = ()
    surveys: list[Path] = []
    for path in paths:
        if path.name == CATEGORIES_FILE:
            listed = _load_list(path, CategoriesFile, problems)
            if listed is not None:
                categories = tuple(listed.categories)
        elif path.name == PLACES_FILE:
            named = _load_list(path, PlacesFile, problems)
            if named is not None:
                places = tuple(named.places)
        else:
            surveys.append(path)
    try:
        loaded = load_surveys(surveys)
    except SurveyFileError as exc:
        problems.extend(exc.problems)
        loaded = []
    if problems:
        raise SurveyFileError(problems)
    return Folder(loaded, categories, places)


# What a file of the folder defines, as the store names it (storage.definitions.DefinitionKind).
KIND_SURVEY, KIND_CATEGORIES, KIND_PLACES = "survey", "categories", "places"


@dataclass(frozen=True)
class FolderFile:
    """One file of the folder as read: its text and model, or the problems it has."""

    path: Path
    kind: str  # KIND_SURVEY, KIND_CATEGORIES or KIND_PLACES
    name: str  # the survey's id, or "categories" or "places"; "" when it could not be read
    text: str
    model: Survey | CategoriesFile | PlacesFile | None
    problems: tuple[FileProblem, ...] = ()


def read_folder(folder: Path) -> list[FolderFile]:
    """Every file of the folder on its own: a broken one is listed with its problems beside
    the good ones (load_folder instead refuses the whole folder)."""
    read: list[FolderFile] = []
    owner: dict[str, Path] = {}
    for path in survey_files(folder):
        try:
            text = read_file(path, str(path))
            survey = parse_survey(text, str(path))
        except SurveyFileError as exc:
            read.append(FolderFile(path, KIND_SURVEY, "", "", None, tuple(exc.problems)))
            continue
        taken = _id_problem(path, survey, owner)
        if taken is not None:
            read.append(FolderFile(path, KIND_SURVEY, survey.id, text, None, (taken,)))
            continue
        owner[survey.id] = path
        read.append(FolderFile(path, KIND_SURVEY, survey.id, text, survey))
    lists: tuple[tuple[str, str, type[CategoriesFile] | type[PlacesFile]], ...] = (
        (CATEGORIES_FILE, KIND_CATEGORIES, CategoriesFile),
        (PLACES_FILE, KIND_PLACES, PlacesFile),
    )
    for file_name, kind, model in lists:
        path = folder / file_name
        if not path.exists():
            continue
        what = "a categories file" if kind == KIND_CATEGORIES else "a places file"
        try:
            text = read_file(path, str(path), what)
            parsed: CategoriesFile | PlacesFile = parse_file(text, str(path), model)
        except SurveyFileError as exc:
            read.append(FolderFile(path, kind, kind, "", None, tuple(exc.problems)))
            continue
        read.append(FolderFile(path, kind, kind, text, parsed))
    return read


def _load_list(path: Path, model: type[M], problems: list[FileProblem]) -> M | None:
    """A categories or places file, or None when there is none or it has problems (kept)."""
    if not path.exists():
        return None
    try:
        return _load(path, model)
    except SurveyFileError as exc:
        problems.extend(exc.problems)
        return None


def _load(path: Path, model: type[M]) -> M:
    what = "a categories file" if model is CategoriesFile else "a places file"
    return parse_file(read_file(path, str(path), what), str(path), model)
