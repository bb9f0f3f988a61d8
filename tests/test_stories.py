"""Stories, wire copies and corroboration (issue 13, part 2): fingerprints, grouping, origins,
forgetting, the rebuild from the store, retrieval collapse and corroborated citations."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from fakes import HashEmbedder

from index.documents import Article, Passage, Span
from index.indexer import Indexer
from index.sentences import split_sentences
from index.store import ChunkStore
from index.stories import StoryIndex, collapse_copies, reconcile, sentence_key, sentence_prints, wire_credit
from index.stories.fingerprint import near_identical, word_set
from qa.corroboration import corroborate
from qa.models import Answer, Citation, Claim

WIRE = (
    "الرياض - واس\n"
    "افتتح أمير المنطقة مساء أمس معرض الكتاب الدولي في دورته الجديدة بمشاركة واسعة من دور النشر.\n"
    "وتشارك في المعرض أكثر من خمسمائة دار نشر من ثلاثين دولة عربية وأجنبية هذا العام.\n"
    "ويستمر المعرض عشرة أيام يقدم خلالها برنامجاً ثقافياً يضم ندوات وأمسيات شعرية وورش عمل.\n"
    "وأكد المسؤولون أن المعرض يشهد إقبالاً كبيراً من الزوار منذ ساعات الافتتاح الأولى.\n"
)
# A retelling: the first two sentences changed by a word or a credit, the rest left out, a paragraph of its own.
RETOLD = (
    "افتتح أمير المنطقة مساء الأربعاء معرض الكتاب الدولي في دورته الجديدة بمشاركة واسعة من دور النشر.\n"
    "وتشارك في المعرض أكثر من خمسمائة دار نشر من ثلاثين دولة عربية وأجنبية هذا العام، بحسب المنظمين.\n"
    "ويستمر المعرض عشرة أيام يقدم خلالها برنامجا ثقافيا يضم ندوات وأمسيات شعرية وورش عمل.\n"
    "وقال زائر للصحيفة إن الأسعار هذا العام أعلى من الأعوام الماضية بشكل ملحوظ.\n"
)
OTHER = (
    "أعلنت الهيئة العامة للأرصاد عن موجة حر تضرب المنطقة الشرقية خلال الأيام المقبلة.\n"
    "ونصحت الهيئة المواطنين بتجنب التعرض المباشر لأشعة الشمس في ساعات الظهيرة.\n"
)


def article(aid: str, text: str, source: str, day: int = 1) -> Article:
    return Article(id=aid, title=text.splitlines()[0][:40], text=text, source=source, date=dt.date(2015, 8, day))


def corpus() -> list[Article]:
    return [
        article("spa", WIRE, "واس", 1),
        article("okaz", WIRE, "عكاظ", 2),  # the wire run as is by a second outlet
        article("sabq", RETOLD, "سبق", 2),
        article("weather", OTHER, "الرياض", 3),
    ]


def test_keys_fold_spelling_punctuation_and_spacing() -> None:
    assert sentence_key("سورية، وتركيا!") == sentence_key("سوريه   وتركيا")
    assert sentence_key("أكّد الوزير") == sentence_key("اكد الوزير")
    assert sentence_key("اجتماع أنقرة") != sentence_key("اجتماع دمشق")


def test_fingerprints_are_stable_across_reingest(tmp_path: Path) -> None:
    a = corpus()[0]
    first, again = sentence_prints(a), sentence_prints(a.model_copy())
    assert [p.fingerprint for p in first] == [p.fingerprint for p in again]
    assert [(p.start, p.end) for p in first] == [(s.start, s.end) for s in split_sentences(a.text)]
    index = StoryIndex(tmp_path / "s.sqlite3")
    index.upsert_articles(corpus())
    before = index.story_ids()
    index.upsert_articles(corpus())  # re-ingest: same ids, same stories
    assert index.story_ids() == before
    index.close()


def test_near_identical_sentences_and_not_merely_similar_ones() -> None:
    w, r = WIRE.splitlines(), RETOLD.splitlines()
    assert near_identical(word_set(sentence_key(w[1])), word_set(sentence_key(r[0]))) > 0  # a word changed
    assert near_identical(word_set(sentence_key(w[2])), word_set(sentence_key(r[1]))) > 0  # a credit added
    assert near_identical(word_set(sentence_key(w[4])), word_set(sentence_key(r[3]))) == 0


@pytest.mark.parametrize(
    ("text", "agency"),
    [
        ("الرياض - واس\nافتتح", "واس"),
        ("قال مصدر (واس) إن", "واس"),
        ("وبحث المسؤولون التعاون، بحسب وكالة الأناضول.", "الأناضول"),
        ("باريس (أ ف ب) - قال", "أ ف ب"),
        ("دمشق (سانا) - أعلنت", "سانا"),
        ("لندن (رويترز) - ارتفعت", "رويترز"),
        ("LONDON (Reuters) - Oil prices rose", "رويترز"),
        ("WASHINGTON (AP) — The", "أ ب"),
        ("25 شوال 1436 هـ الموافق 10 أغسطس 2015 م واس\n التقى معالي", "واس"),
        ("قال الوزير إن المشروع يكتمل العام المقبل.", None),
        ("ويصل الوفد في 15 أغسطس (آب) المقبل، واستقبل الوزير ضيوفه بحفاوة واسعة.", None),  # آب is August
    ],
)
def test_wire_credits(text: str, agency: str | None) -> None:
    assert wire_credit(text) == agency


def test_an_agency_source_is_its_own_credit() -> None:
    assert wire_credit("التقى معالي الوزير اليوم وفداً.", "was") == "واس"
    assert wire_credit("لندن (رويترز) - قال", "was") == "رويترز"  # the text's credit first


def test_copies_and_retellings_are_one_story_with_origins_counted(tmp_path: Path) -> None:
    index = StoryIndex(tmp_path / "s.sqlite3")
    index.upsert_articles(corpus())
    ids = index.story_ids()
    assert ids["spa"] == ids["okaz"] == ids["sabq"] != ids["weather"]
    (story,) = index.stories()
    assert [a.id for a in story.articles] == ["spa", "okaz", "sabq"]  # oldest first
    # the wire and its verbatim copy are one origin (the credit), the retelling another
    assert story.origins == ["source:سبق", "wire:واس"]
    assert story.sources == ["سبق", "عكاظ", "واس"]
    assert index.stories(since=dt.date(2015, 8, 3)) == []
    assert [s.id for s in index.stories(until=dt.date(2015, 8, 1))] == [story.id]
    assert len(index.stories(min_articles=1)) == 2
    index.close()


def test_an_identical_body_is_one_origin_without_a_credit(tmp_path: Path) -> None:
    index = StoryIndex(tmp_path / "s.sqlite3")
    index.upsert_articles([article("a", OTHER, "الرياض"), article("b", OTHER, "المدينة")])
    (story,) = index.stories()
    assert len(story.origins) == 1 and story.origins[0].startswith("copy:")
    index.close()


def _indexer(home: Path) -> tuple[Indexer, ChunkStore, StoryIndex]:
    embedder = HashEmbedder()
    store = ChunkStore(embedder, path=home / "chroma")
    stories = StoryIndex(home / "stories.sqlite3")
    return Indexer(embedder, store, stories=stories, chunk_tokens=40), store, stories


def test_ingest_and_forget_group_before_any_reader_asks(tmp_path: Path) -> None:
    """The grouping is the writer's work, done once at the end of an ingest or a forget: the
    first question after it (another process, or this one) only reads."""
    indexer, store, stories = _indexer(tmp_path)

    def dirty() -> bool:
        row = stories._db.execute("SELECT value FROM meta WHERE key='dirty'").fetchone()
        return row is not None and row[0] == "1"

    report = indexer.ingest(corpus())
    assert not dirty() and "stories" in report.stages
    indexer.forget("okaz")
    assert not dirty()
    store.close()
    stories.close()


def test_ingest_keeps_exact_copies_and_forget_shrinks_the_story(tmp_path: Path) -> None:
    indexer, store, stories = _indexer(tmp_path)
    report = indexer.ingest(corpus())
    assert sorted(report.added) == ["okaz", "sabq", "spa", "weather"]  # the copy is indexed, not skipped
    (story,) = stories.stories()
    assert len(story.articles) == 3
    indexer.forget("okaz")
    (story,) = stories.stories()
    assert [a.id for a in story.articles] == ["spa", "sabq"]
    assert story.origins == ["source:سبق", "wire:واس"]
    indexer.forget("sabq")
    assert stories.stories() == []
    store.close()
    stories.close()


def test_the_story_index_is_rebuilt_from_the_store(tmp_path: Path) -> None:
    indexer, store, stories = _indexer(tmp_path)
    indexer.ingest(corpus())
    expected = stories.story_ids()
    stories.close()
    (tmp_path / "stories.sqlite3").unlink()  # lost
    fresh = StoryIndex(tmp_path / "stories.sqlite3")
    diff = reconcile(store, fresh)
    assert sorted(diff.missing) == sorted(expected)
    assert fresh.story_ids() == expected
    fresh.close()
    with sqlite3.connect(tmp_path / "stories.sqlite3") as db:  # linked by older rules
        db.execute("UPDATE meta SET value = '3' WHERE key = 'schema'")
    db.close()
    older = StoryIndex(tmp_path / "stories.sqlite3")
    assert older.recovered is not None and older.story_ids() == {}
    reconcile(store, older)
    assert older.story_ids() == expected
    older.close()
    (tmp_path / "stories.sqlite3").write_bytes(b"not a database at all" * 100)  # damaged
    damaged = StoryIndex(tmp_path / "stories.sqlite3")
    assert damaged.recovered is not None
    reconcile(store, damaged)
    assert damaged.story_ids() == expected
    # a forget the story index missed (a crash between the two) is repaired too
    store.delete_article("sabq")
    reconcile(store, damaged)
    assert "sabq" not in damaged.story_ids()
    damaged.close()
    store.close()


def passage(aid: str, text: str, chunk: str, score: float) -> Passage:
    spans = [Span(start=s.start, end=s.end) for s in split_sentences(text)]
    return Passage(chunk_id=chunk, article_id=aid, start=0, end=len(text), text=text, sentences=spans, score=score)


def test_retrieval_collapses_copies_into_one_hit() -> None:
    ranked = [
        passage("spa", WIRE, "c1", 0.9),
        passage("weather", OTHER, "c2", 0.8),
        passage("okaz", WIRE, "c3", 0.7),
        passage("sabq", RETOLD, "c4", 0.6),
    ]
    got = collapse_copies(ranked)
    assert [p.chunk_id for p in got] == ["c1", "c2", "c4"]  # the retelling is other content: it stays
    assert [c.article_id for c in got[0].copies] == ["okaz"]
    assert got[1].copies == [] and got[2].copies == []


def test_a_copy_is_seen_by_its_words_whatever_lies_between_its_sentences() -> None:
    """Collapse reads a passage's words piece by piece (sentences and the text between and around
    them); a copy whose sentences were split apart, or that has words outside every sentence span,
    is judged on all its words as a whole-text reading would."""
    body = WIRE.split("\n", 1)[1]  # without the credit line
    spa = passage("spa", body, "c1", 0.9)
    for kept in ([], spa.sentences[1:3]):  # no span at all: every word lies outside; the first and last outside
        copy = passage("okaz", body, "c2", 0.8).model_copy(update={"sentences": kept})
        assert [p.chunk_id for p in collapse_copies([spa, copy])] == ["c1"]
    other = passage("weather", OTHER, "c3", 0.7).model_copy(update={"sentences": []})  # no sentence at all
    assert [p.chunk_id for p in collapse_copies([spa, other])] == ["c1", "c3"]


def test_citations_are_corroborated_with_verified_offsets(tmp_path: Path) -> None:
    texts = {a.id: a for a in corpus()}
    index = StoryIndex(tmp_path / "s.sqlite3")
    index.upsert_articles(list(texts.values()))
    sentence = WIRE.splitlines()[2]  # "وتشارك في المعرض …": the retelling adds "بحسب المنظمين"
    start = WIRE.index(sentence)
    citation = Citation(n=1, article_id="spa", chunk_id="c1", start=start, end=start + len(sentence), quote=sentence)
    answer = Answer(
        question="كم دار نشر تشارك؟",
        answer="…",
        status="answered",
        citations=[citation],
        claims=[Claim(text="…", citations=[1])],
    )
    got = corroborate(answer, index, texts.get)
    found = {c.article_id: c for c in got.citations[0].corroborated_by}
    assert set(found) == {"okaz", "sabq"}
    for aid, c in found.items():
        assert texts[aid].text[c.start : c.end] == c.quote
    assert found["okaz"].quote == sentence
    assert found["sabq"].quote.startswith("وتشارك في المعرض أكثر من خمسمائة دار نشر")
    assert got.citations[0].origins == 2 and got.claims[0].origins == 2  # واس (twice), سبق
    gone = corroborate(answer, index, lambda aid: None if aid == "sabq" else texts.get(aid))
    assert [c.article_id for c in gone.citations[0].corroborated_by] == ["okaz"]
    index.close()


def test_sentences_stating_different_numbers_are_not_copies() -> None:
    a = "وبين أنه بذلك يصبح عدد المستفيدين الذين تم تخريجهم من الدورتين بمركزي المناصحة بالرياض وجدة 36 خريجًا."
    b = "وبين أنه بذلك يصبح عدد المستفيدين الذين تم تخريجهم من الدورتين بمركزي المناصحة بالرياض وجدة (63) خريجاً."
    assert near_identical(word_set(sentence_key(a)), word_set(sentence_key(b))) == 0
    c = b.replace("(63)", "(36)")
    assert near_identical(word_set(sentence_key(a)), word_set(sentence_key(c))) > 0


def near(a: str, b: str) -> float:
    return near_identical(word_set(sentence_key(a)), word_set(sentence_key(b)))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (  # another act in the template's slot
            "وكان في وداعه بالمطار نائب أمير المنطقة وعدد من المسؤولين في الإمارة والقطاعات الحكومية.",
            "وكان في استقباله بالمطار نائب أمير المنطقة وعدد من المسؤولين في الإمارة والقطاعات الحكومية.",
        ),
        (  # another country thanked
            "وقدم ولي العهد شكره وتقديره لملك الأردن على مشاعره الطيبة وتمنياته الصادقة للمملكة وشعبها.",
            "وقدم ولي العهد شكره وتقديره لرئيس وزراء اليابان على مشاعره الطيبة وتمنياته الصادقة للمملكة وشعبها.",
        ),
        (  # another country ("التونسية" is no spelling of "تهنئة")
            "وبعث ولي العهد برقية تهنئة للرئيس متمنيا لحكومة وشعب مصر الشقيق "
            "المزيد من التقدم والازدهار والرخاء في ظل قيادته الحكيمة.",
            "وبعث ولي العهد برقية للرئيس متمنيا لحكومة وشعب الجمهورية التونسية الشقيق "
            "المزيد من التقدم والازدهار والرخاء في ظل قيادته الحكيمة.",
        ),
        (  # arrived or left
            "وصل وزير الخارجية مساء اليوم إلى العاصمة الفرنسية باريس "
            "في زيارة رسمية تستمر ثلاثة أيام يلتقي خلالها كبار المسؤولين.",
            "غادر وزير الخارجية مساء اليوم العاصمة الفرنسية باريس في "
            "زيارة رسمية تستمر ثلاثة أيام يلتقي خلالها كبار المسؤولين.",
        ),
    ],
)
def test_a_template_with_another_word_in_its_slot_is_no_copy(a: str, b: str) -> None:
    assert near(a, b) == 0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (  # a verb of saying, a weekday, a title
            "وقال الدكتور سامي الخالدي اليوم إن الجامعة ستفتتح كلية جديدة للهندسة في مطلع العام الدراسي.",
            "وأوضح سامي الخالدي الثلاثاء أن الجامعة ستفتتح كلية جديدة للهندسة في مطلع العام الدراسي.",
        ),
        (  # spellings of one name, a name written as one word or two
            "وأشاد ميشيل بجهود عبد العزيز الناصر في تطوير مشروعات "
            "الإسكان الجديدة بالمدينة الصناعية شرق العاصمة هذا العام.",
            "وأشاد ميشال بجهود عبدالعزيز الناصر في تطوير مشروعات "
            "الإسكان الجديدة بالمدينة الصناعية شرق العاصمة هذا العام.",
        ),
        (  # a clitic
            "ويضم المشروع مئات الشقق وحدات سكنية ومدارس ومراكز "
            "صحية وحدائق عامة وطرقا داخلية تربط الأحياء بالطريق السريع.",
            "ويضم المشروع مئات الشقق ووحدات سكنية ومدارس ومراكز "
            "صحية وحدائق عامة وطرقا داخلية تربط الأحياء بالطريق السريع.",
        ),
        (  # interchangeable words
            "يذكر أن جولة الوفد تضم عددا من المدن الاقتصادية "
            "والجامعات ومراكز الأبحاث والمصانع الكبرى في المنطقة الشرقية.",
            "يشار إلى أن جولة الوفد تشمل عددا من المدن الاقتصادية "
            "والجامعات ومراكز الأبحاث والمصانع الكبرى في المنطقة الشرقية.",
        ),
    ],
)
def test_the_same_statement_in_other_words_is_still_a_copy(a: str, b: str) -> None:
    assert near(a, b) > 0


def test_a_newspapers_footer_is_no_evidence(tmp_path: Path) -> None:
    footer = "للتواصل مع الكاتب ارسل رسالة قصيرة تبدأ بالرمز ثم مسافة ثم نص الرسالة إلى الرقم المعروف"
    columns = [
        article(f"col{i}", f"{topic} في مقال اليوم عن شأن مختلف تماما عن غيره من المقالات.\n{footer}\n", "المدينة")
        for i, topic in enumerate(["التعليم", "الصحة", "الإسكان", "النقل", "الرياضة"])
    ]
    index = StoryIndex(tmp_path / "s.sqlite3")
    index.upsert_articles(columns)
    assert index.stories() == []  # the shared footer groups nothing
    start = columns[0].text.index(footer)
    assert index.copies("col0", start, start + len(footer)) == []  # and corroborates nothing
    assert index.links() == [] and len(index.links(templates=True)) >= 10
    index.close()
