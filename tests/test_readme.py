"""The README's course map stays true: every notebook and assignment it names exists, and none is left out."""
import re

from conftest import ROOT

README = (ROOT / "README.md").read_text()
MAP = README.split("## Course map", 1)[1].split("\n## ", 1)[0]


def test_course_map_lists_exactly_the_lecture_notebooks_that_exist():
    named = set(re.findall(r"`(\d\d_[a-z_0-9]+)`", MAP))
    notebooks = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    assignments = {p.name for p in (ROOT / "solutions").iterdir() if p.is_dir()}
    assert named == notebooks | assignments, (
        f"named but missing: {sorted(named - notebooks - assignments)}; "
        f"missing from the map: {sorted((notebooks | assignments) - named)}")


def test_course_map_names_every_explorer():
    import course_lib.widgets as widgets

    explorers = {name for name in widgets.__all__ if name not in ("Explorer", "interactive_backend", "make_figure")}
    for name in explorers:
        assert f"`{name}`" in MAP, name


def test_readme_gives_the_two_commands_first():
    first_section = README.split("\n## ", 2)[1]
    assert "make lab" in first_section and "make test" in first_section
