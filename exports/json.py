"""JSON for other systems: the campaigns with their codebook, every response, every idea
and tip, written object by object.

Answers keep their own shape: a multiple choice is a list, a location an object, a skipped
question null, and a question that was not shown is absent.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, TextIO

from core.export import contribution_cells, photo_id
from core.survey import Photo
from core.versions import History, codebook
from exports.loop import with_safer
from exports.photos import PhotoFiles, names_only
from exports.progress import Progress, quiet
from exports.request import Request
from storage.export_reads import ExportSource


def _plain(value: object) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=_plain)


async def _answers(
    history: History, version: int, answers: dict[str, Any], photos: PhotoFiles
) -> dict[str, Any]:
    """The answers in their own shape, but a photo as its file's name (or why it has none),
    never Telegram's file id."""
    asked = history.survey(version).questions_by_id
    for question_id, value in answers.items():
        if isinstance(asked.get(question_id), Photo) and value is not None:
            answers[question_id] = await photos.cell(photo_id(value))
    return answers


async def write_json(
    store: ExportSource,
    request: Request,
    progress: Progress = quiet,
    photos: PhotoFiles | None = None,
) -> tuple[int, int]:
    """Write everything; return (responses, ideas and tips) written."""
    histories, out, privacy = request.histories(), request.out, request.privacy
    photos = photos or names_only()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        handle.write('{\n"anonymous": ' + _dump(privacy.anonymous) + ',\n"campaigns": [\n')
        questions = list(codebook(histories))
        for index, history in enumerate(histories):
            survey = history.current
            handle.write(",\n" if index else "")
            handle.write(
                _dump(
                    {
                        "id": survey.id,
                        "title": {"sv": survey.title.sv, "en": survey.title.en},
                        "opens": survey.opens,
                        "closes": survey.closes,
                        "version": history.current_version,
                        "versions": list(history.versions),
                        "questions": [q for q in questions if q["campaign"] == survey.id],
                    }
                )
            )
        handle.write('\n],\n"responses": [\n')
        responses = 0
        for history in histories:
            async for response in store.export_responses(history.survey_id):
                _separate(handle, responses)
                handle.write(
                    _dump(
                        {
                            "respondent": privacy.respondent(response.pseudonym),
                            "response": response.id,
                            "campaign": response.survey_id,
                            "version": response.survey_version,
                            "status": response.status.value,
                            "started": privacy.moment(response.started_at),
                            "completed": privacy.moment(response.completed_at),
                            "source": response.source,
                            "answers": await _answers(
                                history, response.survey_version, dict(response.answers), photos
                            ),
                        }
                    )
                )
                responses += 1
                progress(1)
        handle.write('\n],\n"contributions": [\n')
        contributions = 0
        async for item, safer in with_safer(store):
            _separate(handle, contributions)
            cells = contribution_cells(item, privacy, as_text=False, safer=safer)
            cells["themes"] = [theme.value for theme in item.themes]
            cells["contactable"] = item.contactable
            cells["photo"] = await photos.cell(item.photo_unique_id)
            handle.write(_dump(cells))
            contributions += 1
            progress(1)
        handle.write("\n]\n}\n")
    return responses, contributions


def _separate(handle: TextIO, written: int) -> None:
    if written:
        handle.write(",\n")
