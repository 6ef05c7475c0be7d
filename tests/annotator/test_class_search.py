"""The class search finds what a person means: its ranking on the real 1000 classes (the pure
module, no database), and the same order and count through `/api/classes/?q=` and the class
list page."""

import re
from functools import cache

import pytest

from annotator.catalogue import read_class_facts
from annotator.class_search import DECISIVE, ClassIndex, Match, normalise

GOLDFISH, TABBY, COUGAR, LYNX, CATAMARAN = 1, 281, 286, 287, 484
SPORTS_CAR = 817

# query -> (the first classes, in order, the number of classes found, how the first matched)
TABLE = {
    # No class is called "car": names starting with the word, then names holding it.
    "car": ([479, 475, SPORTS_CAR, 565, 705], 77, Match.NAME_PREFIX),  # car wheel, car mirror, ...
    # tiger, Persian, Siamese and Egyptian cat (and the lemur called Madagascar cat), then the
    # name that merely starts with "cat".
    "cat": ([282, 283, 284, 285, 383, CATAMARAN], 39, Match.NAME_WORD),
    "dog": ([248, 153, 275, 239, 238], 64, Match.NAME_WORD),  # Eskimo dog, Maltese dog, ...
    "tabby": ([TABBY], 1, Match.NAME),
    "n02123045": ([TABBY], 1, Match.WNID),
    "281": ([TABBY], 1, Match.INDEX),
    "sports car": ([SPORTS_CAR], 1, Match.NAME),
}


@cache
def classes() -> ClassIndex:
    return ClassIndex(read_class_facts())


@cache
def names() -> dict[int, str]:
    return {facts.index: facts.names[0] for facts in read_class_facts()}


def indices(query: str) -> list[int]:
    return [found.index for found in classes().search(query)]


@pytest.mark.parametrize("query", TABLE)
def test_search_ranks_the_meant_class_first_and_counts_every_match(query):
    first, count, match = TABLE[query]

    found = classes().search(query)

    assert [hit.index for hit in found[: len(first)]] == first, [
        names()[hit.index] for hit in found[:8]
    ]
    assert len(found) == count
    assert found[0].match == match


def test_car_finds_cars_before_the_goldfish_named_carassius():
    found = indices("car")
    assert found[0] != GOLDFISH
    # Every class with a word of its name starting "car" comes before the goldfish's synonym.
    named = [index for index in found if re.search(r"\bcar", names()[index].lower())]
    assert len(named) == 15
    assert max(found.index(index) for index in named) < found.index(GOLDFISH)


def test_cat_finds_the_cats_before_cougar_lynx_and_catamaran():
    found = indices("cat")
    cats = [282, 283, 284, 285]  # tiger cat, Persian cat, Siamese cat, Egyptian cat
    assert found[:4] == cats
    assert found.index(CATAMARAN) < found.index(TABBY)  # its name, before a synonym
    assert found.index(TABBY) < found.index(COUGAR) < found.index(LYNX)  # word, then prefix


def test_a_synonym_matches_after_the_names_in_the_same_order():
    assert classes().search("puma")[0] == classes().search("Felis concolor")[0]
    assert classes().search("puma")[0].index == COUGAR
    assert classes().search("puma")[0].match == Match.SYNONYM
    assert classes().search("tabby cat")[0].index == TABBY
    # "panther" is a synonym of both cougar and jaguar: the same length, so the lower index.
    assert indices("panther")[:2] == [COUGAR, 290]


def test_ties_go_to_the_shorter_name_then_the_lower_index():
    assert indices("crane") == [134, 517]  # the bird and the machine, both "crane"
    terriers = indices("terrier")
    assert names()[terriers[0]] == "toy terrier"  # the shortest name holding the word
    assert names()[terriers[1]] == "Irish terrier"


def test_case_accents_and_punctuation_do_not_matter():
    assert indices("PUG DOG")[0] == indices("pug-dog")[0] == 254
    assert indices("carpenters kit")[0] == indices("carpenter's kit")[0] == 477
    assert indices("jack o lantern")[0] == 607
    assert normalise(" Café  au-lait ") == "cafe au lait"


def test_an_index_or_a_wnid_finds_that_class_alone():
    assert indices("0") == indices("n01440764") == [0]
    assert indices("999") == [999]
    assert indices("1000") == []  # no such class
    assert indices("２８１") == []  # fullwidth digits are not an index
    assert indices("N02123045") == [TABBY]
    partial = classes().search("n0212304")
    assert [hit.index for hit in partial] == [TABBY]
    assert partial[0].match == Match.WNID_PREFIX


def test_a_query_without_letters_or_digits_finds_nothing():
    assert indices("") == indices("   ") == indices("-'") == []


def test_the_count_is_every_class_whose_names_or_gloss_hold_the_query():
    for query in ["car", "cat", "dog", "ter", "a", "sea", "hound"]:
        holding = {
            facts.index
            for facts in read_class_facts()
            if any(query in normalise(text) for text in [*facts.names, facts.gloss])
        }
        assert set(indices(query)) == holding, query


def test_enter_may_take_a_name_or_its_start_but_not_a_word_inside_it():
    def decisive(query: str) -> bool:
        return classes().search(query)[0].match in DECISIVE

    assert decisive("tabby") and decisive("281") and decisive("n02123045")
    assert decisive("Labrador")  # Labrador retriever
    assert decisive("cata")  # catamaran
    assert decisive("puma")  # a whole synonym
    assert not decisive("cat")  # tiger cat
    assert not decisive("dog")  # Eskimo dog
    assert not decisive("carass")  # goldfish, by the start of a Latin synonym
    assert not decisive("furry")  # a gloss


# ---- through the API and the class list page (SQLite and PostgreSQL) -----------------------


@pytest.fixture
def api(client, catalogue):
    from tests.factories import make_user

    client.force_login(make_user())
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("query", TABLE)
def test_the_api_answers_every_match_in_the_ranked_order(api, query):
    first, count, match = TABLE[query]

    body = api.get("/api/classes/", {"q": query}).json()

    assert body["count"] == count
    assert len(body["results"]) == count  # one page: the search lists all of them
    assert [row["index"] for row in body["results"]] == indices(query)
    assert [row["index"] for row in body["results"][: len(first)]] == first
    assert body["results"][0]["match"] == match


@pytest.mark.django_db
def test_the_api_pages_a_search_when_asked_and_filters_it_by_group(api):
    page = api.get("/api/classes/", {"q": "dog", "page_size": 10}).json()
    assert page["count"] == 64
    assert [row["index"] for row in page["results"]] == indices("dog")[:10]
    assert "page=2" in page["next"]

    dogs = api.get("/api/classes/", {"q": "terrier", "group": "dog"}).json()["results"]
    assert dogs and all(row["is_dog"] for row in dogs)
    assert [row["index"] for row in dogs] == [i for i in indices("terrier") if 151 <= i <= 268]


@pytest.mark.django_db
def test_the_class_list_has_every_class_in_one_page_and_no_match_without_a_search(api):
    body = api.get("/api/classes/").json()
    assert body["count"] == len(body["results"]) == 1000
    assert [row["index"] for row in body["results"][:3]] == [0, 1, 2]
    assert body["results"][0]["match"] is None
    assert "match" not in api.get("/api/classes/281/").json()


@pytest.mark.django_db
def test_a_search_reads_no_class_from_the_database(api, django_assert_num_queries):
    api.get("/api/classes/", {"q": "dog"})  # the process reads the catalogue once
    with django_assert_num_queries(2):  # session, user: the classes are the process's copy
        assert api.get("/api/classes/", {"q": "a"}).json()["count"] == len(indices("a"))
    with django_assert_num_queries(3):  # and the indices of the group
        assert api.get("/api/classes/", {"q": "a", "group": "dog"}).json()["count"] == 118


@pytest.mark.django_db
def test_the_class_list_page_shows_the_same_order(api):
    page = api.get("/classes/", {"q": "cat"}).content.decode()
    assert "39 classes" in page
    positions = [page.index(f">{name}</a>") for name in ["tiger cat", "Persian cat", "catamaran"]]
    assert positions == sorted(positions)
    assert page.index(">tiger cat</a>") < page.index(">cougar</a>") < page.index(">lynx</a>")
