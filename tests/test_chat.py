"""Multi-turn chat: follow-up rewriting, the session model, and whole turns over a real index.

Turns run against a real chromadb store in a temporary folder (``HashEmbedder`` for speed); the
LLM path uses a fake implementing the ``ChatModel`` Protocol, and streaming goes through the
real ``openai`` SDK to the scripted OpenAI-compatible server on 127.0.0.1.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from fakes import HashEmbedder
from openai_stub import OpenAIStub, Reply
from pydantic import BaseModel

from index.errors import InputError, RequestError
from qa.assistant import Assistant
from qa.chat_stream import AnswerFieldStream
from qa.followups import carry_terms, looks_elliptical, rewrite_question
from qa.llm import Completion, OpenAIChatModel
from qa.models import Answer, Citation, Claim
from qa.session import ChatSession, Turn
from qa.settings import Settings

TALKS = (
    "محادثات أمنية سورية تركية في أنقرة\n\n"
    "وصل وفد سوري رفيع المستوى إلى العاصمة التركية أنقرة يوم الأحد لإجراء محادثات أمنية. "
    "وترأس الوفد السوري وزير الخارجية أسعد الشيباني.\n"
    "وقاد الجانب التركي في المحادثات وزير الخارجية هاكان فيدان بحضور رئيس الاستخبارات إبراهيم قالن. "
    "وتناولت المحادثات ضبط الحدود بين البلدين ومكافحة الإرهاب.\n"
)
FAIR = (
    "معرض الكتاب يستقبل زواره\n\n"
    "افتتح معرض الكتاب أبوابه أمس بمشاركة مئات من دور النشر العربية. "
    "وقال المنظمون إن عدد الزوار تجاوز مئة ألف زائر في اليوم الأول.\n"
)
WATER = (
    "محطة تحلية جديدة\n\n"
    "دشنت الحكومة محطة لتحلية مياه البحر بطاقة إنتاجية تبلغ مئتي ألف متر مكعب يوميا. "
    "وتغطي المحطة حاجة ثلاث مدن ساحلية من مياه الشرب.\n"
)
Q1 = "من ترأس الوفد السوري في محادثات أنقرة؟"
Q2 = "ومن قاد الجانب التركي؟"
Q2_OWN = "من قاد الجانب التركي؟"  # the follow-up without its "و"


def _write(folder: Path, articles: Mapping[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in articles.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def assistant(tmp_path: Path) -> Assistant:
    a = Assistant(Settings(home=tmp_path / "home"), embedder=HashEmbedder())
    report = a.ingest([_write(tmp_path / "corpus", {"talks.txt": TALKS, "fair.txt": FAIR, "water.txt": WATER})])
    assert not report.skipped and len(report.added) == 3
    return a


def _check_citations(assistant: Assistant, answer: Answer) -> None:
    for c in answer.citations:
        assert assistant.article(c.article_id).text[c.start : c.end] == c.quote


def _history(question: str, claim: str, *, status: str = "answered") -> list[Turn]:
    answer = Answer(
        question=question,
        answer=f"{claim} [1]",
        status=status,  # type: ignore[arg-type]
        claims=[Claim(text=claim, citations=[1])],
        citations=[Citation(n=1, article_id="a", chunk_id="c", start=0, end=len(claim), quote=claim)],
    )
    return [
        Turn(role="user", content=question, standalone_question=question),
        Turn(role="assistant", content=answer.answer, answer=answer),
    ]


# --- rewriting without an LLM ------------------------------------------------------------------


def test_first_turn_is_never_rewritten() -> None:
    for message in (Q2, "وماذا قال؟", "and then?"):
        assert rewrite_question([], message, None) == message
    model = ScriptedChat()
    assert rewrite_question([], Q2, model) == Q2
    assert model.calls == []  # not even asked


def test_arabic_follow_up_carries_the_previous_turns_key_terms() -> None:
    history = _history(Q1, "وترأس الوفد السوري وزير الخارجية أسعد الشيباني.")
    assert looks_elliptical(Q2)
    rewritten = rewrite_question(history, Q2, None)
    assert rewritten.startswith(Q2_OWN + " (")  # "and who…?" → "who…? (…)"
    carried = rewritten[len(Q2_OWN) :].strip(" ()").split()
    # The topic of the first question comes along: who/what/where, without its stop words.
    assert {"ترأس", "الوفد", "السوري", "محادثات", "أنقرة"} <= set(carried)
    assert not {"من", "في"} & set(carried)
    # Nothing the follow-up already says is repeated ("الجانب" is in both).
    assert rewritten.count("الجانب") == 1
    # "ومن قاد الجانب التركي؟" names its own subject, so the answer's words are not needed.
    assert "الشيباني" not in carried


def test_follow_up_that_refers_back_also_carries_the_answer_terms() -> None:
    history = _history(Q1, "وترأس الوفد السوري وزير الخارجية أسعد الشيباني.")
    rewritten = rewrite_question(history, "وماذا قال عنه؟", None)
    assert rewritten.startswith("ماذا قال عنه؟ (")
    assert "أنقرة" in rewritten and "وزير" in rewritten and "الخارجية" in rewritten
    # Terms are compared normalised: "انقرة" (plain alef) is the follow-up's "أنقرة", so it is not repeated.
    history = _history("ما نتائج محادثات انقرة؟", "اتفق الوفدان على تعزيز التعاون الأمني.")
    carried = carry_terms(history, "وماذا عن أنقرة؟")
    assert carried[:2] == ["نتائج", "محادثات"] and "انقرة" not in carried
    assert "الوفدان" in carried  # one word of its own is too little: the answer's terms help


def test_a_standalone_follow_up_is_left_alone() -> None:
    history = _history(Q1, "وترأس الوفد السوري وزير الخارجية أسعد الشيباني.")
    full = "ما هي الطاقة الإنتاجية لمحطة تحلية مياه البحر الجديدة؟"  # "ما هي" is not a back-reference
    assert not looks_elliptical(full)
    assert rewrite_question(history, full, None) == full


def test_english_follow_up_carries_english_terms_only() -> None:
    history = _history("Who led the Syrian delegation in Ankara?", "وترأس الوفد السوري وزير الخارجية أسعد الشيباني.")
    rewritten = rewrite_question(history, "and the Turkish side?", None)
    assert rewritten.startswith("The Turkish side? (")
    assert {"Syrian", "delegation", "Ankara"} <= set(rewritten.strip("?)").replace("(", " ").split())
    assert not re.search("[\u0600-\u06ff]", rewritten)  # stays English, so it is answered in English


def test_nothing_is_carried_from_an_answer_that_found_no_evidence() -> None:
    history = _history("متى افتتح المعرض؟", "لا تذكر المصادر ذلك.", status="insufficient_evidence")
    assert carry_terms(history, "ومن نظمه؟") == ["افتتح", "المعرض"]


# --- the session -----------------------------------------------------------------------------


def test_session_json_round_trip_and_atomic_save(assistant: Assistant, tmp_path: Path) -> None:
    session = ChatSession()
    assistant.chat(session, Q1)
    assistant.chat(session, Q2)
    assert [t.role for t in session.turns] == ["user", "assistant", "user", "assistant"]

    restored = ChatSession.model_validate_json(session.model_dump_json())
    assert restored == session
    assert restored.last_answer == session.turns[-1].answer

    path = tmp_path / "sessions" / "chat.json"
    session.save(path)
    assert ChatSession.load(path) == session
    assert [p.name for p in path.parent.iterdir()] == ["chat.json"]  # no temp file left behind

    # A restored session goes on where it stopped: the follow-up context survives the round trip.
    again = ChatSession.load(path)
    assistant.chat(again, "ومتى وصل الوفد؟")
    assert again.turns[-2].standalone_question != "ومتى وصل الوفد؟"


def test_loading_a_broken_session_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "x", "turns": [{"role": "robot", "content": "hi"}]}', encoding="utf-8")
    with pytest.raises(InputError) as info:
        ChatSession.load(bad)
    assert str(bad) in info.value.message and "turns.0.role" in info.value.message
    with pytest.raises(InputError, match="cannot read"):
        ChatSession.load(tmp_path / "missing.json")


# --- whole turns, extractive ---------------------------------------------------------------------


def test_chat_turn_without_llm_rewrites_retrieves_and_answers(assistant: Assistant) -> None:
    session = ChatSession()
    first = assistant.chat(session, Q1)
    assert first.status == "answered" and first.mode == "extractive"
    assert session.turns[0].standalone_question == Q1
    _check_citations(assistant, first)

    seen: list[str] = []
    second = assistant.chat(session, Q2, on_rewrite=seen.append)
    standalone = session.turns[2].standalone_question
    assert seen == [standalone] and standalone is not None
    assert standalone.startswith(Q2_OWN + " (") and "أنقرة" in standalone
    assert second.question == standalone  # retrieval and answering used the standalone question
    assert session.turns[2].content == Q2  # …while the session keeps what the user typed
    assert {"rewrite", "retrieve", "answer", "total"} <= second.timings.keys()
    assert "load" not in second.timings  # loading is timed once, on the turn that did it
    _check_citations(assistant, second)
    assert any("فيدان" in c.quote for c in second.citations)


def test_a_failed_turn_leaves_the_session_unchanged(assistant: Assistant) -> None:
    session = ChatSession()
    assistant.chat(session, Q1)
    before = session.model_dump_json()
    with pytest.raises(RequestError):
        assistant.chat(session, "   ")
    with pytest.raises(RequestError, match="limit"):
        assistant.chat(session, "س" * (assistant.settings.max_question_chars + 1))
    assert session.model_dump_json() == before
    session.reset()
    assert session.turns == [] and session.last_answer is None


# --- whole turns with a chat model ---------------------------------------------------------------

_PASSAGE = re.compile(r'<passage n="(\d+)"[^>]*>\n(.*?)\n</passage>', re.DOTALL)


class ScriptedChat:
    """A ``ChatModel``: rewrites by a fixed reply, answers by quoting the passage that holds ``needle``."""

    model = "scripted"

    def __init__(self, rewrite_reply: str = "", needle: str = "") -> None:
        self.rewrite_reply = rewrite_reply
        self.needle = needle
        self.calls: list[tuple[list[dict[str, str]], type[BaseModel] | None]] = []

    def complete(self, messages: Sequence[Mapping[str, str]], *, schema: type[BaseModel] | None = None) -> Completion:
        self.calls.append(([dict(m) for m in messages], schema))
        if schema is None:
            return Completion(text=self.rewrite_reply, model=self.model)
        prompt = messages[-1]["content"]
        for n, text in _PASSAGE.findall(prompt):
            for sentence in re.split(r"(?<=\.)\s+", text):
                if self.needle in sentence:
                    draft = {
                        "status": "answered",
                        "answer": sentence,
                        "claims": [{"text": sentence, "citations": [{"passage": int(n), "quote": sentence}]}],
                    }
                    return Completion(text=json.dumps(draft, ensure_ascii=False), model=self.model)
        draft = {"status": "insufficient_evidence", "answer": "-", "claims": []}
        return Completion(text=json.dumps(draft), model=self.model)


def test_chat_turn_asks_the_chat_model_to_rewrite(tmp_path: Path) -> None:
    standalone = "من قاد الجانب التركي في محادثات أنقرة الأمنية؟"
    model = ScriptedChat(rewrite_reply=f"السؤال: «{standalone}»\n", needle="الشيباني")
    a = Assistant(Settings(home=tmp_path / "home"), embedder=HashEmbedder(), chat_model=model)
    a.ingest([_write(tmp_path / "corpus", {"talks.txt": TALKS, "fair.txt": FAIR})])
    session = ChatSession()

    first = a.chat(session, Q1)
    assert [schema is None for _, schema in model.calls] == [False]  # first turn: answer only, no rewrite
    assert first.mode == "llm" and first.model == "scripted"
    _check_citations(a, first)

    model.needle = "فيدان"
    second = a.chat(session, Q2)
    rewrite_call, answer_call = model.calls[1], model.calls[2]
    assert rewrite_call[1] is None and answer_call[1] is not None
    conversation = rewrite_call[0][-1]["content"]
    assert Q1 in conversation and "الشيباني" in conversation and Q2 in conversation  # history + follow-up
    assert "<conversation>" in conversation and "Arabic" in conversation
    # The model's reply is cleaned of its label and quotes, then used for retrieval and answering.
    assert session.turns[2].standalone_question == standalone
    assert second.question == standalone and standalone in answer_call[0][-1]["content"]
    assert second.status == "answered"
    _check_citations(a, second)
    assert "فيدان" in second.citations[0].quote


def test_an_empty_rewrite_falls_back_to_carrying_terms(assistant: Assistant) -> None:
    model = ScriptedChat(rewrite_reply="  \n", needle="فيدان")
    history = _history(Q1, "وترأس الوفد السوري وزير الخارجية أسعد الشيباني.")
    assert rewrite_question(history, Q2, model) == rewrite_question(history, Q2, None) != Q2
    assert len(model.calls) == 1


# --- streaming through the real openai SDK --------------------------------------------------------


def _draft(sentence: str) -> dict[str, Any]:
    return {
        "status": "answered",
        "answer": sentence,
        "claims": [{"text": sentence, "citations": [{"passage": 1, "quote": sentence}]}],
    }


def test_streamed_chat_turns_over_http(tmp_path: Path) -> None:
    # One short article: a single chunk, so it is passage 1 whatever the ranking.
    talks = "وفد سوري في أنقرة\n\nوصل وفد سوري إلى أنقرة. وقاد الجانب التركي وزير الخارجية هاكان فيدان.\n"
    s1, s2 = "وصل وفد سوري إلى أنقرة.", "وقاد الجانب التركي وزير الخارجية هاكان فيدان."
    with OpenAIStub() as stub:
        chat = OpenAIChatModel(base_url=stub.base_url, model=stub.model, max_retries=0, timeout=10)
        a = Assistant(Settings(home=tmp_path / "home"), embedder=HashEmbedder(), chat_model=chat)
        a.ingest([_write(tmp_path / "corpus", {"talks.txt": talks})])
        session = ChatSession()

        stub.script(Reply.json(_draft(s1)))
        tokens: list[str] = []
        first = a.chat(session, "من وصل إلى أنقرة؟", on_token=tokens.append)
        assert len(tokens) > 1 and "".join(tokens) == s1  # the answer text, streamed piece by piece
        assert first.status == "answered" and first.citations[0].quote == s1
        _check_citations(a, first)

        standalone = "من قاد الجانب التركي في أنقرة؟"
        stub.script(Reply.text(standalone), Reply.json(_draft(s2)))
        tokens.clear()
        second = a.chat(session, Q2, on_token=tokens.append)
        assert "".join(tokens) == s2 and second.citations[0].quote == s2
        assert session.turns[2].standalone_question == standalone
        streamed = [bool(r.body.get("stream")) for r in stub.chat_requests]
        assert streamed == [True, False, True]  # answers stream; the rewrite is one plain request

        # A streamed reply that is not JSON gets the usual single corrective retry (not streamed).
        stub.script(Reply.text(standalone), Reply.text("sorry, no JSON today"), Reply.json(_draft(s2)))
        tokens.clear()
        third = a.chat(session, "من قاد الجانب التركي؟", on_token=tokens.append)
        assert tokens == [] and third.status == "answered" and third.citations[0].quote == s2
        assert [bool(r.body.get("stream")) for r in stub.chat_requests[3:]] == [False, True, False]
        assert "sorry, no JSON today" in str(stub.chat_requests[-1].messages)  # the retry shows the bad reply
        assert stub.remaining == 0


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13])
def test_answer_field_is_extracted_from_json_as_it_streams(size: int) -> None:
    answer = 'قال "فيدان": المحادثات\nبناءة \\ 😀 é'
    reply = "```json\n" + json.dumps(
        {"status": "answered", "answer": answer, "claims": [{"text": "answer", "citations": []}]},
        ensure_ascii=size % 2 == 1,  # \uXXXX escapes (and a surrogate pair) split across pieces
    )
    stream = AnswerFieldStream()
    pieces = [stream.feed(reply[i : i + size]) for i in range(0, len(reply), size)]
    assert "".join(pieces) == answer and stream.done
    assert sum(1 for p in pieces if p) > 1 or size > len(answer)
    # "answer" only counts as the top-level key: nested ones and string values are not taken.
    nested = AnswerFieldStream()
    assert nested.feed('{"claims": [{"answer": "no"}], "x": "answer", "answer": "yes"}') == "yes"
