import pytest
import torch

from assocmem.tasks import digits


def test_the_bundled_digits_load_binarise_and_centre():
    pixels, labels = digits.images()
    assert pixels.shape == (1797, 64) and labels.shape == (1797,) and pixels.dtype == torch.float64
    B, _ = digits.binary()
    assert set(B.unique().tolist()) == {-1.0, 1.0} and torch.equal(B == 1, pixels > 8)
    U, _ = digits.unit()
    assert torch.allclose(U.norm(dim=1), torch.ones(1797, dtype=torch.float64))
    assert (U @ U.T).abs().max() <= 1 + 1e-12
    idx = digits.first_of_each(labels, (0, 7))
    assert labels[idx].tolist() == [0, 7]
    pixels[0, 0] = 99  # a copy: the cache is not modified
    assert digits.images()[0][0, 0] != 99


def test_bad_arguments():
    with pytest.raises(ValueError, match="threshold must lie in"):
        digits.binary(20)
    with pytest.raises(ValueError, match="classes must be digits 0..9, got 11"):
        digits.first_of_each(digits.images()[1], (11,))
