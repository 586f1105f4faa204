"""A preset's prompt with {variables}: names found once each, in order; {{ and }} stay as
braces; every problem is a sentence the person can act on."""

import pytest

from prompts.variables import MAX_VARIABLES, VariableError, fill, plain, variables_in


def test_the_names_are_found_once_each_in_the_order_they_first_appear():
    template = "A {product} on {surface}, then the {product} spins; { mood } light."
    assert variables_in(template) == ["product", "surface", "mood"]


def test_every_variable_is_replaced_by_its_value_wherever_it_appears():
    template = "A bottle of {product} on marble; the {product} catches {light} light."
    filled = fill(template, {"product": "perfume", "light": "morning"})
    assert filled == "A bottle of perfume on marble; the perfume catches morning light."


def test_double_braces_are_literal_braces_and_never_variables():
    template = "A sign reading {{OPEN}} above the {shop}, a }} and a {{ alone."
    assert variables_in(template) == ["shop"]
    assert fill(template, {"shop": "bakery"}) == (
        "A sign reading {OPEN} above the bakery, a } and a { alone."
    )


def test_a_prompt_without_variables_reads_as_written_with_its_braces_unescaped():
    assert plain("Neon {{glow}} over wet streets.") == "Neon {glow} over wet streets."


def test_values_are_put_on_one_line_with_single_spaces():
    assert fill("A {thing}.", {"thing": "  red \n balloon "}) == "A red balloon."


def test_a_value_is_never_read_as_a_variable_itself():
    assert fill("A {a} and {b}.", {"a": "{b}", "b": "x"}) == "A {b} and x."


def test_an_unfilled_variable_is_named_in_a_sentence():
    with pytest.raises(VariableError) as refused:
        fill("A {product} on {surface}.", {"product": "perfume", "surface": "  "})
    assert refused.value.message == "Please fill in {surface} first."


def test_several_unfilled_variables_are_listed_together():
    with pytest.raises(VariableError) as refused:
        fill("A {product} on {surface} in {light}.", {"product": "soap"})
    assert refused.value.message == "Please fill in {surface} and {light} first."


def test_a_value_for_a_variable_the_prompt_lacks_is_refused_with_the_known_ones():
    with pytest.raises(VariableError) as refused:
        fill("A {product}.", {"product": "perfume", "colour": "red"})
    assert "This preset has no {colour}; its variables are: {product}." in refused.value.message


def test_an_unclosed_brace_says_where_it_is_and_how_to_write_a_literal_one():
    with pytest.raises(VariableError) as refused:
        variables_in("A bottle of {product on marble")
    assert "is never closed" in refused.value.message
    assert "{{" in refused.value.message


def test_a_lone_closing_brace_is_refused():
    with pytest.raises(VariableError) as refused:
        variables_in("A smile :} at dawn")
    assert "closes nothing" in refused.value.message


@pytest.mark.parametrize("bad", ["{}", "{two words}", "{9lives}", "{a-b}"])
def test_a_name_that_is_not_a_word_is_refused_with_an_example(bad):
    with pytest.raises(VariableError) as refused:
        variables_in(f"A {bad} here")
    assert f"“{bad}” is not a variable name" in refused.value.message
    assert "{product}" in refused.value.message


def test_accented_names_are_names():
    assert variables_in("Un {produit_été} doré") == ["produit_été"]


def test_too_many_variables_are_refused():
    template = " ".join(f"{{v{n}}}" for n in range(MAX_VARIABLES + 1))
    with pytest.raises(VariableError) as refused:
        variables_in(template)
    assert f"at most {MAX_VARIABLES} variables" in refused.value.message


def test_an_overlong_value_is_refused():
    with pytest.raises(VariableError) as refused:
        fill("A {thing}.", {"thing": "x" * 301})
    assert "under 300 characters" in refused.value.message
