"""sync/monday/schema.graphql agrees with monday's public SDL, and covers every document the client sends.

monday's SDL is reference data outside the repository (``../shared/monday/schema.graphql``);
only the test that needs it is skipped when it is absent.
"""

from __future__ import annotations

from pathlib import Path

import graphql
import pytest

import sync.monday
from sync.monday import operations as ops
from validation.gates.contract import client_documents

SUBSET = Path(sync.monday.__file__).with_name("schema.graphql")
REFERENCE = Path(__file__).resolve().parents[3] / "shared/monday/schema.graphql"


_WITH_FIELDS = (graphql.GraphQLObjectType, graphql.GraphQLInterfaceType, graphql.GraphQLInputObjectType)


def _kind(named: graphql.GraphQLNamedType) -> str:
    """Object and interface count as one kind: the emulator needs a concrete ``ColumnValue`` where monday
    declares an interface; the fields a query can select are the same and are compared one by one."""
    if isinstance(named, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType):
        return "output"
    return type(named).__name__


def disagreements(subset: graphql.GraphQLSchema, reference: graphql.GraphQLSchema) -> list[str]:
    """Each type, field, argument and enum value of ``subset`` that ``reference`` lacks or types otherwise."""
    problems = []
    for name, mine in subset.type_map.items():
        if name.startswith("__") or name in graphql.specified_scalar_types:
            continue
        theirs = reference.type_map.get(name)
        if theirs is None:
            problems.append(f"type {name} does not exist in monday's schema")
        elif _kind(theirs) != _kind(mine):
            problems.append(f"{name} is a {type(mine).__name__} here, a {type(theirs).__name__} at monday")
        elif isinstance(mine, graphql.GraphQLEnumType) and isinstance(theirs, graphql.GraphQLEnumType):
            problems += [f"enum {name} has no value {v}" for v in mine.values if v not in theirs.values]
        elif isinstance(mine, _WITH_FIELDS) and isinstance(theirs, _WITH_FIELDS):
            problems += _field_problems(name, mine, theirs)
    return problems


def _field_problems(
    name: str,
    mine: graphql.GraphQLObjectType | graphql.GraphQLInterfaceType | graphql.GraphQLInputObjectType,
    theirs: graphql.GraphQLObjectType | graphql.GraphQLInterfaceType | graphql.GraphQLInputObjectType,
) -> list[str]:
    problems = []
    for field_name, field in mine.fields.items():
        other = theirs.fields.get(field_name)
        if other is None:
            problems.append(f"{name}.{field_name} does not exist at monday")
            continue
        if str(field.type) != str(other.type):
            problems.append(f"{name}.{field_name} is {field.type} here, {other.type} at monday")
        if isinstance(field, graphql.GraphQLField) and isinstance(other, graphql.GraphQLField):
            for arg_name, arg in field.args.items():
                their_arg = other.args.get(arg_name)
                if their_arg is None:
                    problems.append(f"{name}.{field_name}({arg_name}:) does not exist at monday")
                elif str(arg.type) != str(their_arg.type):
                    problems.append(
                        f"{name}.{field_name}({arg_name}:) is {arg.type} here, {their_arg.type} at monday"
                    )
    return problems


def test_subset_agrees_with_mondays_sdl() -> None:
    """Every field, argument name and type of the subset is monday's; client documents validate there too."""
    if not REFERENCE.is_file():
        pytest.skip(f"monday's SDL is reference data outside the repo and is absent here ({REFERENCE})")
    subset = graphql.build_schema(SUBSET.read_text(encoding="utf-8"))
    reference = graphql.build_schema(REFERENCE.read_text(encoding="utf-8"))
    assert disagreements(subset, reference) == []
    for doc in client_documents():
        errors = graphql.validate(reference, graphql.parse(doc.query))
        assert errors == [], f"{doc.operation_name}: {[e.message for e in errors]}"


def test_disagreements_are_reported() -> None:
    """The comparison itself finds a renamed field, a retyped argument and an unknown enum value."""
    subset = graphql.build_schema(
        "enum State { active gone }\ntype Query { boards(ids: [Int!]): [String] extra: String }"
    )
    reference = graphql.build_schema(
        "enum State { active archived }\ntype Query { boards(ids: [ID!]): [String] }"
    )
    assert sorted(disagreements(subset, reference)) == [
        "Query.boards(ids:) is [Int!] here, [ID!] at monday",
        "Query.extra does not exist at monday",
        "enum State has no value gone",
    ]


def test_client_documents_cover_every_builder_and_query() -> None:
    """The gate's document list holds every read query and mutation builder of sync.monday.operations."""
    names = {d.operation_name for d in client_documents()}
    builders = [n for n in ops.__all__ if n.endswith("_document")]
    assert len(builders) >= 6
    assert {
        "GetBoards",
        "ItemsPage",
        "NextItemsPage",
        "ItemsPageByColumnValues",
        "ItemsById",
        "Complexity",
        "CreateItems",
        "CreateSubitems",
        "ChangeColumnValues",
        "DeleteItems",
        "CreateGroup",
        "DeleteGroup",
    } <= names
    schema = graphql.build_schema(SUBSET.read_text(encoding="utf-8"))
    for doc in client_documents():
        assert graphql.validate(schema, graphql.parse(doc.query)) == [], doc.operation_name
