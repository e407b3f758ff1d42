"""The $filter parser: tokens with positions, grammar and precedence, literals of every form, attribute lambdas
with cast tolerance, and errors that name their position. No database needed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from rs.catalog.choices import AttributeType
from rs.catalog.query.errors import QueryError
from rs.catalog.query.filter_parser import parse_filter
from rs.catalog.query.literals import integer_comparison, parse_datetime, production_type_member
from rs.catalog.query.orderby import parse_orderby
from rs.catalog.query.properties import Entity
from rs.catalog.query.tokens import T, tokenize
from rs.catalog.query.tree import (
    And,
    AttributeFilter,
    Comparison,
    Constant,
    Membership,
    Not,
    Op,
    Or,
    OrderKey,
    TextFunction,
    TextMatch,
    ValueComparison,
    ValueMembership,
)

P = Entity.PRODUCTS
INSTANT = datetime(2024, 6, 4, 11, 1, 0, 494767, tzinfo=UTC)


def parse(text: str, entity: Entity = P):
    return parse_filter(text, entity=entity)


def error_of(text: str, entity: Entity = P) -> QueryError:
    with pytest.raises(QueryError) as caught:
        parse(text, entity)
    return caught.value


def test_tokens_carry_their_kind_text_and_position():
    tokens = tokenize("Name eq 'O''Brien' and ContentLength gt -2.5e3")
    assert [(t.kind, t.text, t.position) for t in tokens] == [
        (T.IDENT, "Name", 0), (T.IDENT, "eq", 5), (T.STRING, "'O''Brien'", 8), (T.IDENT, "and", 19),
        (T.IDENT, "ContentLength", 23), (T.IDENT, "gt", 37), (T.NUMBER, "-2.5e3", 40), (T.EOF, "", 46),
    ]
    assert tokens[2].value == "O'Brien"


def test_typed_literals_keep_the_position_of_their_content():
    token = tokenize("x eq geography'SRID=4326;POINT(1 2)'")[2]
    assert (token.kind, token.text, token.value, token.value_position) == (
        T.TYPED, "geography", "SRID=4326;POINT(1 2)", 15)


@pytest.mark.parametrize("text", [
    "2024-06-04T11:01:00.494767Z", "2024-06-04T11:01:00.494767", "2024-06-04T11:01:00.4947679Z",
    "2024-06-04T11:01:00.494767999Z", "2024-06-04T13:01:00.494767+02:00", "2024-06-04T07:01:00.494767-04:00",
    "2024-06-04t11:01:00.494767z",
])
def test_every_date_form_of_one_instant_parses_to_it(text):
    assert parse_datetime(text, 0) == INSTANT


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-09-01", datetime(2024, 9, 1, tzinfo=UTC)),
    ("2022-05-03T00:00", datetime(2022, 5, 3, tzinfo=UTC)),
    ("2022-05-03T00:00:00.000", datetime(2022, 5, 3, tzinfo=UTC)),
    ("2022-05-03T00:00:00.9999999Z", datetime(2022, 5, 3, 0, 0, 0, 999999, tzinfo=UTC)),
    ("2022-05-03T00:00:00.000-04:00", datetime(2022, 5, 3, 4, tzinfo=UTC)),
])
def test_short_forms_fractions_and_zones(text, expected):
    assert parse_datetime(text, 0) == expected


@pytest.mark.parametrize("text", ["2024-02-30", "2024-01-01T24:00:00Z", "2024-01-01T00:00:00+24:00", "2024-1-1",
                                  "0001-01-01T00:00:00+01:00"])
def test_impossible_dates_are_refused_with_the_position(text):
    with pytest.raises(QueryError) as caught:
        parse_datetime(text, 7)
    assert (caught.value.code, caught.value.position) == ("InvalidLiteral", 7)


def test_and_binds_tighter_than_or_and_not_tightest():
    tree = parse("Name eq 'a' or Name eq 'b' and not Name eq 'c'")
    assert tree == Or((
        Comparison("Name", Op.EQ, "a", 0),
        And((Comparison("Name", Op.EQ, "b", 15), Not(Comparison("Name", Op.EQ, "c", 35)))),
    ))


def test_parentheses_override_precedence():
    tree = parse("(Name eq 'a' or Name eq 'b') and Online eq true")
    assert tree == And((Or((Comparison("Name", Op.EQ, "a", 1), Comparison("Name", Op.EQ, "b", 16))),
                        Comparison("Online", Op.EQ, True, 33)))


def test_a_literal_on_the_left_flips_the_comparison():
    assert parse("2024-01-01T00:00:00Z lt PublicationDate") == Comparison(
        "PublicationDate", Op.GT, datetime(2024, 1, 1, tzinfo=UTC), 24)
    assert parse("5 ge ContentLength") == Comparison("ContentLength", Op.LE, 5, 5)


def test_in_lists_functions_and_boolean_suffixes():
    assert parse("Name in ('a', 'b', 'a')") == Membership("Name", ("a", "b"), 0)
    assert parse("endswith(Name,'.SAFE')") == TextMatch(TextFunction.ENDSWITH, "Name", ".SAFE", 0)
    assert parse("contains(Name,'x') eq false") == Not(TextMatch(TextFunction.CONTAINS, "Name", "x", 0))


def test_guids_bare_or_quoted_and_production_types_in_both_spellings():
    value = uuid.UUID("8a0e1d7e-1b2c-4d5e-8f90-a1b2c3d4e5f6")
    assert parse(f"Id eq {value}") == parse(f"Id eq '{value}'") == Comparison("Id", Op.EQ, value, 0)
    assert parse("ProductionType eq OData.CSC.ProductionType'on-demand default'") == Comparison(
        "ProductionType", Op.EQ, "on_demand_default", 0)
    assert production_type_member("On_Demand_Non-Default", 0) == "on_demand_non_default"


@pytest.mark.parametrize(("op", "value", "expected"), [
    (Op.EQ, 2.5, False), (Op.NE, 2.5, True), (Op.GT, 2.5, (Op.GT, 2)), (Op.GE, 2.5, (Op.GT, 2)),
    (Op.LT, 2.5, (Op.LT, 3)), (Op.LE, 2.5, (Op.LT, 3)), (Op.LE, -2.5, (Op.LT, -2)), (Op.EQ, 4.0, (Op.EQ, 4)),
    (Op.LT, 1e30, True), (Op.GT, 1e30, False), (Op.GT, -1e30, True), (Op.EQ, 2**63, False),
])
def test_int64_comparisons_with_any_number_stay_exact(op, value, expected):
    assert integer_comparison(op, value) == expected


def test_null_comparisons_follow_what_the_json_shows():
    assert parse("OriginDate eq null") == Comparison("OriginDate", Op.EQ, None, 0)
    assert parse("EvictionDate ne null") == Constant(True)  # kept forever is shown as 9999-12-31…
    assert parse("Name eq null") == Constant(False)


def test_the_three_eodag_cast_spellings_give_one_tree():
    spellings = [
        "Attributes/OData.CSC.IntegerAttribute/any(att:att/Name eq 'relativeOrbitNumber' and "
        "att/OData.CSC.StringAttribute/Value eq 51)",
        "Attributes/OData.CSC.IntegerAttribute/any(att:att/Name eq 'relativeOrbitNumber' and "
        "att/OData.CSC.StringAttribute/Value eq '51')",
        "Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'relativeOrbitNumber' and "
        "att/OData.CSC.IntegerAttribute/Value eq '51')",
    ]
    assert {parse(s) for s in spellings} == {
        AttributeFilter("relativeOrbitNumber", AttributeType.INTEGER, ValueComparison(Op.EQ, 51), 0)}


def test_lambda_bodies_take_several_value_conditions_and_any_variable_name():
    tree = parse("attributes/OData.CSC.DoubleAttribute/any(x:x/OData.CSC.DoubleAttribute/Value ge 0 and "
                 "x/Name eq 'cloudCover' and x/Value le '30')")
    assert tree == AttributeFilter("cloudCover", AttributeType.DOUBLE, And((
        ValueComparison(Op.GE, 0.0), ValueComparison(Op.LE, 30.0))), 0)


def test_names_outside_the_registry_take_the_type_of_the_cast_or_the_literal():
    by_cast = parse("Attributes/OData.CSC.IntegerAttribute/any(a:a/Name eq 'custom' and a/Value in (1, '2'))")
    assert by_cast == AttributeFilter("custom", AttributeType.INTEGER, ValueMembership((1, 2)), 0)
    by_literal = parse("Attributes/any(a:a/Name eq 'custom' and a/Value gt 2.5)")
    assert by_literal == AttributeFilter("custom", AttributeType.DOUBLE, ValueComparison(Op.GT, 2.5), 0)


def test_the_orderby_list_ends_with_id_and_defaults_per_entity():
    assert parse_orderby("ContentDate/Start desc, Name", entity=P) == (
        OrderKey("ContentDate/Start", True), OrderKey("Name"), OrderKey("Id"))
    assert parse_orderby(None, entity=P) == (OrderKey("PublicationDate"), OrderKey("Id"))
    assert parse_orderby("", entity=Entity.DELETED_PRODUCTS) == (OrderKey("DeletionDate"), OrderKey("Id"))
    assert parse_orderby("Id desc", entity=P) == (OrderKey("Id", True),)


@pytest.mark.parametrize(("text", "code", "position", "message"), [
    ("Foo eq 1", "UnknownProperty", 0, "Unknown property 'Foo'"),
    ("name eq 'x'", "UnknownProperty", 0, "Unknown property 'name' (did you mean 'Name'?)"),
    ("Name eq 'a' and DeletionDate gt 2024-01-01", "UnknownProperty", 16, "Unknown property 'DeletionDate'"),
    ("Name eq", "SyntaxError", 7, "Unexpected end of the filter: expected a property or a value"),
    ("Name EQ 'a'", "SyntaxError", 5, "Expected a comparison operator (eq, ne, gt, ge, lt, le, in) after 'Name', "
                                      "found 'EQ' (operators are lower-case)"),
    ("tolower(Name) eq 'a'", "UnknownFunction", 0, "Unknown function 'tolower'"),
    ("Attributes/OData.CSC.StringAttribute/all(a:a/Name eq 'x')", "Unsupported", 37,
     "all() is not supported: use any()"),
    ("Attributes/OData.CSC.StringAttribute/any(a:a/Name eq 'x' and a/Name eq 'y')", "Unsupported", 61,
     "any() needs exactly one att/Name eq '…' condition"),
    ("Attributes/any(a:a/Name ne 'x')", "Unsupported", 17, "att/Name can only be compared with eq"),
    ("Attributes/any(a:b/Name eq 'x')", "Unsupported", 17, "Inside any(), conditions start with 'a/', found 'b/Name'"),
    ("Attributes/any(a:a/Name eq 'cloudCover' and contains(a/Value,'1'))", "TypeMismatch", 44,
     "contains() applies to String attributes; 'cloudCover' is Double"),
    ("Online gt true", "Unsupported", 0, "Online supports eq, ne and in only"),
    ("ContentLength eq 'x'", "TypeMismatch", 17, "ContentLength is Edm.Int64: cannot compare it with a string ('x')"),
    ("Name eq 'a\x00'", "InvalidLiteral", 8, "String literals cannot contain NUL characters"),
    ("Name eq 12abc", "InvalidLiteral", 8, "Invalid number literal '12a'…"),
    ("Name eq 'a' #", "SyntaxError", 12, "Unexpected character '#'"),
])
def test_errors_name_the_problem_and_its_position(text, code, position, message):
    error = error_of(text)
    assert (error.code, error.position, error.message) == (code, position, message)


def test_deleted_products_know_their_own_properties():
    assert parse("DeletionCause eq 'Corrupted product'", Entity.DELETED_PRODUCTS) == Comparison(
        "DeletionCause", Op.EQ, "Corrupted product", 0)
    assert error_of("S3Path eq 'x'", Entity.DELETED_PRODUCTS).code == "UnknownProperty"


def test_an_empty_filter_means_every_product_and_nesting_is_bounded():
    assert parse("   ") is None
    assert error_of("not " * 70 + "Online eq true").code == "TooComplex"
    assert error_of("x" * (256 * 1024 + 1)).code == "TooLong"
