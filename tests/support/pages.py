"""What a page's HTML must hold together: every id once, every label naming a field that exists."""

from collections import Counter
from html.parser import HTMLParser


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = Counter()
        self.label_targets = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids[attributes["id"]] += 1
        if tag == "label" and attributes.get("for"):
            self.label_targets.append(attributes["for"])


def _parsed(html):
    parser = _Ids()
    parser.feed(html)
    parser.close()
    return parser


def duplicate_ids(html):
    """The ids that more than one element of the page carries, sorted."""
    return sorted(name for name, count in _parsed(html).ids.items() if count > 1)


def labels_without_field(html):
    """The ``for`` of each label whose field is not on the page."""
    parsed = _parsed(html)
    return [target for target in parsed.label_targets if target not in parsed.ids]
