"""Encoding detection of CSV exports: each sample holds realistic names and cities and is either
decoded to exactly its text, or refused with exit 2 and the ``encoding:`` line to add."""

import codecs
import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from twin.calibration import encodings
from twin.calibration.mapping import apply_mapping
from twin.calibration.sources import read_file
from twin.cli import cli
from twin.errors import InputError

GERMAN = """\
customer_id;name;city
C001;Müller Maschinenbau GmbH;Köln
C002;Schäfer & Söhne KG;München
C003;Größe Logistik AG;Düsseldorf
C004;Bäckerei Jäger;Nürnberg
C005;Weiß Elektro;Zürich
"""

WESTERN = """\
customer_id,name,city
C001,Müller Maschinenbau GmbH,Köln
C002,François Dubois SARL,Orléans
C003,José García SL,Málaga
C004,Søren Østergaard A/S,Århus
C005,Björk Hansen AB,Malmö
"""

CHINESE = """\
customer_id,name,city
C001,北京华信科技有限公司,北京
C002,上海东方贸易有限公司,上海
C003,广州南方机械制造厂,广州
C004,深圳创新电子有限公司,深圳
C005,杭州西湖茶叶公司,杭州
C006,成都天府物流有限公司,成都
"""

JAPANESE = """\
customer_id,name,city
C001,山田商事株式会社,東京
C002,佐藤機械工業,大阪
C003,鈴木電機株式会社,名古屋
C004,高橋物産,横浜
C005,田中精密工業,京都
"""


def sample(tmp_path: Path, text: str, encoding: str, name: str = "customers.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("text", "written", "reported", "method"),
    [
        (GERMAN, "cp1252", "cp1252", "detected"),
        (GERMAN + "C006;Preis 5 € „Sonder“ – neu;Köln\n", "cp1252", "cp1252", "detected"),
        (GERMAN, "latin-1", "cp1252", "detected"),  # the same text: reported as cp1252
        (WESTERN, "utf-8", "utf-8", "utf-8"),
        (WESTERN, "utf-8-sig", "utf-8-sig", "bom"),
        (WESTERN, "utf-16", "utf-16", "bom"),
        (CHINESE, "utf-32", "utf-32", "bom"),
        (CHINESE, "gb18030", "gb18030", "detected"),
        (JAPANESE, "shift_jis", "cp932", "detected"),  # cp932 is Windows' Shift-JIS superset
    ],
)
def test_a_sample_is_decoded_to_its_exact_text(tmp_path, text, written, reported, method):
    path = sample(tmp_path, text, written)
    frame, prov = read_file(path)
    assert (prov.encoding, prov.encoding_method) == (reported, method)
    assert prov.encoding_confidence >= encodings.MIN_CONFIDENCE
    sep = ";" if ";" in text.splitlines()[0] else ","
    expected = [line.split(sep) for line in text.splitlines()[1:]]
    assert frame.values.tolist() == expected


@pytest.mark.parametrize(("bom", "codec"), [(codecs.BOM_UTF16_LE, "utf-16-le"),
                                            (codecs.BOM_UTF16_BE, "utf-16-be")])  # fmt: skip
def test_utf16_with_either_byte_order_mark(tmp_path, bom, codec):
    path = tmp_path / "c.csv"
    path.write_bytes(bom + WESTERN.encode(codec))
    frame, prov = read_file(path)
    assert prov.encoding == "utf-16" and prov.encoding_confidence == 1.0
    assert frame["city"].tolist() == ["Köln", "Orléans", "Málaga", "Århus", "Malmö"]


def test_the_issue_example_is_no_longer_read_as_gb18030(tmp_path):
    # Before: utf-8, gb18030, latin-1 in turn gave 'M黮ler;K鰈n'
    path = sample(tmp_path, "name;city\nMüller;Köln\n", "cp1252")
    frame, prov = read_file(path)
    assert frame.values.tolist() == [["Müller", "Köln"]] and prov.encoding == "cp1252"


def test_bytes_0x80_to_0x9f_mean_cp1252_not_latin1(tmp_path):
    path = sample(tmp_path, "sku,note\nA,“Premium” – 5 €\n", "cp1252")
    frame, prov = read_file(path)
    assert prov.encoding == "cp1252" and frame["note"].tolist() == ["“Premium” – 5 €"]


@pytest.mark.parametrize(
    ("text", "written", "guesses"),
    [
        # two Chinese names read as Korean or Japanese as well
        ("customer_id,name\nC1,张伟\nC2,王芳\n", "gb18030", ["gb18030"]),
        # 'crème' reads as 'crčme' in cp1250
        ("sku,name\nA,Hélène Crème\nB,Pâtisserie Mère\n", "latin-1", ["cp1252", "cp1250"]),
        # a Czech cp1250 file reads as plausible Windows-1252 ('Dvoøák'): asked, not guessed
        ("name;city\nAntonín Dvořák;Praha\nLeoš Janáček;Brno\n", "cp1250", ["cp1250"]),
    ],
)
def test_an_ambiguous_file_is_refused_with_the_line_to_add(tmp_path, text, written, guesses):
    path = sample(tmp_path, text, written)
    with pytest.raises(InputError) as raised:
        read_file(path)
    message = str(raised.value)
    assert "customers.csv: cannot tell the text encoding" in message
    assert "source: {files: customers.csv, encoding: " in message
    for guess in guesses:
        assert guess in message
    # the mapping's encoding is the override
    frame, prov = read_file(path, encoding=written)
    assert prov.encoding_method == "given"
    sep = ";" if ";" in text.splitlines()[0] else ","
    assert frame.values.tolist() == [line.split(sep) for line in text.splitlines()[1:]]


def test_garbage_bytes_are_refused(tmp_path):
    path = tmp_path / "g.csv"
    path.write_bytes(bytes(range(128, 256)) * 8)
    with pytest.raises(InputError, match=r"g\.csv: does not read as text in any encoding tried"):
        read_file(path)


def test_an_ambiguous_file_stops_calibrate_with_exit_2(tmp_path):
    sample(tmp_path, "OrderNo,Cust,Placed\nSO-1,Hélène Crème,2024-01-02\n", "latin-1", "o.csv")
    (tmp_path / "m.yaml").write_text(
        textwrap.dedent(
            """\
            name: x
            tables:
              orders:
                source: {files: o.csv}
                fields: {order_id: OrderNo, customer_id: Cust, ordered_at: Placed}
            """
        )
    )
    args = ["calibrate", str(tmp_path), "--mapping", str(tmp_path / "m.yaml")]
    result = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "o.csv: cannot tell the text encoding" in result.output
    assert "`source: {files: o.csv, encoding: cp1252}`" in result.output


def test_the_encoding_and_its_confidence_reach_the_provenance(tmp_path):
    sample(tmp_path, GERMAN, "cp1252", "c.csv")
    (tmp_path / "m.yaml").write_text(
        "name: x\ntables:\n  customers:\n    source: {files: c.csv}\n"
        "    fields: {customer_id: customer_id, name: name, city: city}\n"
    )
    mapped = apply_mapping(tmp_path / "m.yaml", tmp_path)
    (prov,) = mapped.provenance["customers"]
    assert (prov.encoding, prov.encoding_method, prov.delimiter) == ("cp1252", "detected", ";")
    assert 0.5 <= prov.encoding_confidence <= 1
    assert mapped.tables["customers"]["city"].tolist()[0] == "Köln"
    from twin.calibration.output import plain_data

    entry = json.loads(json.dumps(plain_data(mapped.provenance)))["customers"][0]
    assert entry["encoding_confidence"] == prov.encoding_confidence
    assert entry["encoding_method"] == "detected"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_told_by_its_nul_bytes(tmp_path, codec):
    path = sample(tmp_path, WESTERN, codec)
    frame, prov = read_file(path)
    assert (prov.encoding, prov.encoding_method) == (codec, "detected")
    assert frame["name"].tolist()[1] == "François Dubois SARL"
