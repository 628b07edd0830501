from django.template import Context, Template


def test_phone_filter_formats_e164_for_the_desk():
    rendered = Template("{% load frontdesk %}{{ a|phone }}|{{ b|phone }}|{{ c|phone }}").render(
        Context({"a": "+12025550123", "b": "+442079460018", "c": ""})
    )
    assert rendered == "(202) 555-0123|+44 20 7946 0018|"
