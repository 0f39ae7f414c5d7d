from evqms.errors import InputError, location
from evqms.i18n import use_language


def test_location_names_file_line_column_and_field_in_the_readers_language():
    with use_language("en"):
        assert location(file="run.csv", line=12, column="dose") == 'run.csv, line 12, column "dose"'
        assert (
            str(InputError("not a number", where=location(field="volume"))) == 'field "volume": not a number'
        )
    with use_language("ja"):
        assert (
            location(file="run.csv", line=12, column="dose", field="x")
            == "run.csv, 12行目, 列「dose」, 項目「x」"
        )
    assert location() == ""
