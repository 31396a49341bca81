"""Preprocessing between reading and features, with pyradiomics 3.0.1 semantics.

* :mod:`.mask`        label selection, image/mask grid check, ROI bounding box and size checks,
                      cropping (pyradiomics ``getMask``, ``checkMask``, ``cropToTumorMask``)
* :mod:`.normalise`   whole-image z-score normalisation (``normalizeImage``)
* :mod:`.resample`    resampling to a new spacing on pyradiomics' exact grid (``resampleImage``)
* :mod:`.resegment`   intensity resegmentation of the ROI (``resegmentMask``)
* :mod:`.discretise`  grey-level bin edges and binning (``getBinEdges``, ``binImage``)

These modules work on :class:`~rnpc_radiomics.image.Volume` and arrays only; they never read
files. Bad input raises :class:`~rnpc_radiomics.errors.InputError` subclasses.
"""
