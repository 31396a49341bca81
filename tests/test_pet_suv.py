"""PET Bq/ml -> SUVbw on series written in the tests, against hand-computed values."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from dicom_factory import edit_file, write_pet_series
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from rnpc_radiomics.errors import PetError
from rnpc_radiomics.io.dicom import read_dicom_image
from rnpc_radiomics.io.pet import parse_dicom_datetime, series_suv_factors, suv_factor

# Hand computation for the default factory series: 70 kg, 3.7e8 Bq F-18 (T1/2 6586.2 s)
# injected at 09:00, series (scan start) at 10:00, values decay-corrected to START:
#   decayed dose = 3.7e8 * 0.5 ** (3600 / 6586.2) = 253,314,180.24 Bq
#   SUVbw(5000 Bq/ml) = 5000 * 70,000 g / 253,314,180.24 Bq = 1.38168340858...
SUV_5000 = 1.3816834085882161
FACTOR = 0.00027633668171764324          # g/Bq: 70,000 / 253,314,180.24

# Per-slice RescaleSlope = slice max / 65535 stores 5000 Bq/ml within half a step:
# 0.5 * 8000 / 65535 / 5000 = 1.2e-5 relative, so rtol 2e-5 on stored-value comparisons.
QUANT_RTOL = 2e-5


def _bqml(nz=3):
    a = np.full((nz, 4, 5), 5000.0)
    a[:, 0, 0] = 8000.0          # slice maximum (sets the slope)
    a[:, 3, 4] = 0.0
    a[-1, 1, 1] = 123.25
    return a


def test_hand_computed_suv_start(tmp_path):
    a = _bqml()
    write_pet_series(tmp_path / "pt", a)
    vol = read_dicom_image(tmp_path / "pt")
    assert vol.modality == "PT" and vol.units == "SUVbw"
    assert vol.array.dtype == np.float32
    assert vol.array[1, 2, 2] == pytest.approx(SUV_5000, rel=QUANT_RTOL)
    # atol: half a quantisation step (0.061 Bq/ml) in SUV units for the small voxel.
    np.testing.assert_allclose(vol.array, a * FACTOR, rtol=QUANT_RTOL, atol=2e-5)
    s = vol.meta["suv"]
    assert s["factor"] == pytest.approx(FACTOR, rel=1e-12)
    assert s["decay_correction"] == "START" and s["decay_s"] == 3600.0
    assert s["weight_kg"] == 70.0 and s["injected_dose_bq"] == 3.7e8


def test_raw_mode_keeps_bqml_and_matches_simpleitk(tmp_path):
    a = _bqml()
    write_pet_series(tmp_path / "pt", a)
    vol = read_dicom_image(tmp_path / "pt", suv=False)
    assert vol.units == "BQML"
    np.testing.assert_allclose(vol.array, a, rtol=QUANT_RTOL, atol=0.07)
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(tmp_path / "pt")))
    ref = sitk.GetArrayFromImage(reader.Execute())
    # Same per-slice rescale in both readers; float32 vs float64 output.
    np.testing.assert_allclose(vol.array, ref, rtol=1e-6, atol=1e-4)


def test_missing_weight_names_the_file_and_the_fix(tmp_path):
    paths = write_pet_series(tmp_path / "pt", _bqml(), weight_kg=None)
    with pytest.raises(PetError, match=r"no PatientWeight \(.*\.dcm\).*pet_weight_kg="):
        read_dicom_image(tmp_path / "pt")
    vol = read_dicom_image(tmp_path / "pt", pet_weight_kg=70)
    assert vol.array[0, 2, 2] == pytest.approx(SUV_5000, rel=QUANT_RTOL)
    # A weight passed by the caller overrides the header.
    edit_file(paths[0], PatientWeight="60")
    vol = read_dicom_image(tmp_path / "pt", pet_weight_kg=84)
    assert vol.array[0, 2, 2] == pytest.approx(SUV_5000 * 84 / 70, rel=QUANT_RTOL)
    with pytest.raises(PetError, match="invalid PET patient weight"):
        read_dicom_image(tmp_path / "pt", pet_weight_kg=-3)


def test_units_must_be_bqml(tmp_path):
    write_pet_series(tmp_path / "pt", _bqml(), units="CNTS")
    with pytest.raises(PetError, match="units are not BQML.*'CNTS'.*suv=False"):
        read_dicom_image(tmp_path / "pt")
    assert read_dicom_image(tmp_path / "pt", suv=False).units == "CNTS"


def test_admin_decay_correction_needs_no_decay(tmp_path):
    write_pet_series(tmp_path / "pt", _bqml(), decay_correction="ADMIN")
    vol = read_dicom_image(tmp_path / "pt")
    assert vol.array[0, 2, 2] == pytest.approx(5000 * 70000 / 3.7e8, rel=QUANT_RTOL)


def test_none_decay_correction_uses_each_slice_time(tmp_path):
    paths = write_pet_series(tmp_path / "pt", _bqml(3), decay_correction="NONE")
    # Slices acquired at 10:00, 10:15 and 10:30.
    for k, p in enumerate(paths):
        edit_file(p, AcquisitionTime=f"10{15 * k:02d}00.000000")
    vol = read_dicom_image(tmp_path / "pt")
    for k in range(3):
        minutes = 60 + 15 * k
        expected = 5000 * 70000 / (3.7e8 * 0.5 ** (minutes * 60 / 6586.2))
        assert vol.array[k, 2, 2] == pytest.approx(expected, rel=QUANT_RTOL)
    assert isinstance(vol.meta["suv"]["factor"], list)


def test_start_uses_earliest_acquisition_when_series_time_is_later(tmp_path):
    # Series re-saved at 11:00 after a 10:00 acquisition: 10:00 is the reference.
    write_pet_series(tmp_path / "pt", _bqml(), series_datetime=dt.datetime(2020, 1, 1, 11),
                     acquisition_datetime=dt.datetime(2020, 1, 1, 10))
    vol = read_dicom_image(tmp_path / "pt")
    assert vol.array[0, 2, 2] == pytest.approx(SUV_5000, rel=QUANT_RTOL)
    assert vol.meta["suv"]["reference_time"] == "2020-01-01T10:00:00"


def test_start_time_only_and_midnight_crossing(tmp_path):
    paths = write_pet_series(tmp_path / "pt", _bqml(),
                             injection_datetime=dt.datetime(2020, 1, 1, 23, 30),
                             series_datetime=dt.datetime(2020, 1, 2, 0, 30))

    def drop_datetime(ds):
        del ds.RadiopharmaceuticalInformationSequence[0].RadiopharmaceuticalStartDateTime

    for p in paths:
        edit_file(p, drop_datetime)
    vol = read_dicom_image(tmp_path / "pt")
    assert vol.meta["suv"]["injection_time"] == "2020-01-01T23:30:00"
    assert vol.array[0, 2, 2] == pytest.approx(SUV_5000, rel=QUANT_RTOL)


def test_injection_after_scan_and_missing_dose(tmp_path):
    write_pet_series(tmp_path / "a", _bqml(), injection_datetime=dt.datetime(2020, 1, 1, 10, 30))
    with pytest.raises(PetError, match="injection time is after the scan"):
        read_dicom_image(tmp_path / "a")
    paths = write_pet_series(tmp_path / "b", _bqml())

    def no_dose(ds):
        del ds.RadiopharmaceuticalInformationSequence[0].RadionuclideTotalDose

    edit_file(paths[0], no_dose)
    with pytest.raises(PetError, match="no RadionuclideTotalDose"):
        read_dicom_image(tmp_path / "b")


def _header(**over):
    ds = Dataset()
    ds.Units = "BQML"
    ds.DecayCorrection = "START"
    ds.PatientWeight = "80"
    ds.SeriesDate = "20210305"
    ds.SeriesTime = "120000"
    ds.AcquisitionDate = "20210305"
    ds.AcquisitionTime = "120000.5"
    item = Dataset()
    item.RadiopharmaceuticalStartTime = "103000"
    item.RadionuclideTotalDose = "400000000"
    item.RadionuclideHalfLife = "6586.2"
    ds.RadiopharmaceuticalInformationSequence = Sequence([item])
    for k, v in over.items():
        setattr(ds, k, v)
    return ds


def test_suv_factor_on_a_header():
    # 80 kg, 4e8 Bq at 10:30, scan 12:00 (5400 s): factor = 80000 / (4e8 * 2^(-5400/6586.2)).
    expected = 80000 / (4e8 * math.pow(2.0, -5400 / 6586.2))
    assert suv_factor(_header()) == pytest.approx(expected, rel=1e-12)
    assert suv_factor(_header(), weight_kg=40) == pytest.approx(expected / 2, rel=1e-12)
    factors, params = series_suv_factors([_header(), _header()])
    assert factors == [pytest.approx(expected, rel=1e-12)] * 2
    assert params["decay_s"] == 5400.0
    with pytest.raises(PetError, match="DecayCorrection not understood.*'XYZ'"):
        suv_factor(_header(DecayCorrection="XYZ"))
    with pytest.raises(PetError, match="no RadiopharmaceuticalInformationSequence"):
        suv_factor(_header(RadiopharmaceuticalInformationSequence=Sequence([])))


def test_parse_dicom_datetime():
    assert parse_dicom_datetime("20200101", "093000.25") == dt.datetime(2020, 1, 1, 9, 30, 0,
                                                                          250000)
    assert parse_dicom_datetime("20200101", "09:30:00") == dt.datetime(2020, 1, 1, 9, 30)
    assert parse_dicom_datetime("20200101", "0930") == dt.datetime(2020, 1, 1, 9, 30)
    assert parse_dicom_datetime(dt="20200101093000.5+0100") == dt.datetime(2020, 1, 1, 9, 30, 0,
                                                                             500000)
    assert parse_dicom_datetime("", "093000") is None
    assert parse_dicom_datetime(dt="garbage") is None


def test_pet_tags_written_by_the_factory(tmp_path):
    paths = write_pet_series(tmp_path / "pt", _bqml(2))
    ds = pydicom.dcmread(paths[0])
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.128"
    assert ds.Units == "BQML" and ds.DecayCorrection == "START"
    assert "DECY" in ds.CorrectedImage and "ATTN" in ds.CorrectedImage
    rp = ds.RadiopharmaceuticalInformationSequence[0]
    assert float(rp.RadionuclideTotalDose) == 3.7e8
    assert rp.RadiopharmaceuticalStartDateTime.startswith("20200101090000")
    # Per-slice slope: slice max (8000 Bq/ml) maps to the top of uint16.
    assert float(ds.RescaleSlope) == pytest.approx(8000 / 65535, rel=1e-12)
