"""A business's brand colour is the portal's link colour on white and its buttons' background
under white text: one too light to read (WCAG AA, 4.5:1) is refused."""

import pytest
from django.core.exceptions import ValidationError

from core.roles import SYSTEM
from core.services import tenant_create
from core.validators import contrast_with_white, validate_brand_contrast

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("colour", "ratio"),
    [("#000000", 21.0), ("#ffffff", 1.0), ("#1f6feb", 4.63), ("#d1242f", 5.24), ("#767676", 4.54)],
)
def test_it_measures_contrast_against_white_as_wcag_does(colour, ratio):
    assert contrast_with_white(colour) == pytest.approx(ratio, abs=0.01)


@pytest.mark.parametrize("colour", ["#1f6feb", "#d1242f", "#0a7d55", "#767676", "#000000"])
def test_it_takes_colours_readable_on_white(colour):
    validate_brand_contrast(colour)


@pytest.mark.parametrize("colour", ["#ffcc00", "#ffffff", "#777777", "#58a6ff"])
def test_it_refuses_colours_too_light_to_read_on_white(colour):
    with pytest.raises(ValidationError) as error:
        validate_brand_contrast(colour)
    assert error.value.code == "contrast"


def test_a_business_with_a_pale_colour_is_not_created():
    with pytest.raises(ValidationError) as error:
        tenant_create(slug="pale", name="Pale", actor=SYSTEM, primary_colour="#ffe680")
    assert "primary_colour" in error.value.message_dict


def test_a_malformed_colour_gets_the_format_message_alone():
    validate_brand_contrast("yellow")  # the format validator speaks for it
