"""Registry of IBSI-mode features: output tag, family, name and permanent IBSI identifier.

Tags and identifiers follow the IBSI-1 reference manual (arXiv:1612.07003) and its reference
table; percentile IDs follow MIRP (the readthedocs manual mislabels some of them). Texture tags
get an aggregation suffix (:data:`AGGREGATIONS`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["IbsiFeature", "FEATURES", "AGGREGATIONS", "FAMILY_PREFIX", "feature_tags",
           "lookup"]


@dataclass(frozen=True)
class IbsiFeature:
    """One IBSI-mode feature.

    Attributes
    ----------
    tag : str
        Output key without aggregation suffix (``"cm_joint_max"``).
    family : str
        ``morphology``, ``local_intensity``, ``statistics``, ``intensity_histogram``,
        ``intensity_volume_histogram``, ``glcm``, ``glrlm``, ``glszm``, ``gldzm``, ``ngtdm``,
        ``ngldm``.
    name : str
        Name as written in the IBSI manual.
    ibsi_id : str
        Permanent 4-character IBSI feature identifier.
    """

    tag: str
    family: str
    name: str
    ibsi_id: str


# (suffix, IBSI aggregation id, texture dimensionality) per family kind.
AGGREGATIONS = {
    "glcm_glrlm": (("2D_avg", "BTW3", "2D"), ("2D_comb", "SUJT", "2D"),
                   ("2_5D_avg", "JJUI", "2.5D"), ("2_5D_comb", "ZW7Z", "2.5D"),
                   ("3D_avg", "ITBB", "3D"), ("3D_comb", "IAZD", "3D")),
    "zone": (("2D", "8QNN", "2D"), ("2_5D", "62GR", "2.5D"), ("3D", "KOBO", "3D")),
}

FAMILY_PREFIX = {"morphology": "morph", "local_intensity": "loc", "statistics": "stat",
                 "intensity_histogram": "ih", "intensity_volume_histogram": "ivh",
                 "glcm": "cm", "glrlm": "rlm", "glszm": "szm", "gldzm": "dzm", "ngtdm": "ngt",
                 "ngldm": "ngl"}

_TABLE = (
    ('morph_volume', 'morphology', 'Volume (mesh)', 'RNU0'),
    ('morph_vol_approx', 'morphology', 'Volume (voxel counting)', 'YEKZ'),
    ('morph_area_mesh', 'morphology', 'Surface area (mesh)', 'C0JK'),
    ('morph_av', 'morphology', 'Surface to volume ratio', '2PR5'),
    ('morph_comp_1', 'morphology', 'Compactness 1', 'SKGS'),
    ('morph_comp_2', 'morphology', 'Compactness 2', 'BQWJ'),
    ('morph_sph_dispr', 'morphology', 'Spherical disproportion', 'KRCK'),
    ('morph_sphericity', 'morphology', 'Sphericity', 'QCFX'),
    ('morph_asphericity', 'morphology', 'Asphericity', '25C7'),
    ('morph_com', 'morphology', 'Centre of mass shift', 'KLMA'),
    ('morph_diam', 'morphology', 'Maximum 3D diameter', 'L0JK'),
    ('morph_pca_maj_axis', 'morphology', 'Major axis length', 'TDIC'),
    ('morph_pca_min_axis', 'morphology', 'Minor axis length', 'P9VJ'),
    ('morph_pca_least_axis', 'morphology', 'Least axis length', '7J51'),
    ('morph_pca_elongation', 'morphology', 'Elongation', 'Q3CK'),
    ('morph_pca_flatness', 'morphology', 'Flatness', 'N17B'),
    ('morph_vol_dens_aabb', 'morphology', 'Volume density (AABB)', 'PBX1'),
    ('morph_area_dens_aabb', 'morphology', 'Area density (AABB)', 'R59B'),
    ('morph_vol_dens_ombb', 'morphology', 'Volume density (OMBB)', 'ZH1A'),
    ('morph_area_dens_ombb', 'morphology', 'Area density (OMBB)', 'IQYR'),
    ('morph_vol_dens_aee', 'morphology', 'Volume density (AEE)', '6BDE'),
    ('morph_area_dens_aee', 'morphology', 'Area density (AEE)', 'RDD2'),
    ('morph_vol_dens_mvee', 'morphology', 'Volume density (MVEE)', 'SWZ1'),
    ('morph_area_dens_mvee', 'morphology', 'Area density (MVEE)', 'BRI8'),
    ('morph_vol_dens_conv_hull', 'morphology', 'Volume density (convex hull)', 'R3ER'),
    ('morph_area_dens_conv_hull', 'morphology', 'Area density (convex hull)', '7T7F'),
    ('morph_integ_int', 'morphology', 'Integrated intensity', '99N0'),
    ('morph_moran_i', 'morphology', "Moran's I index", 'N365'),
    ('morph_geary_c', 'morphology', "Geary's C measure", 'NPT7'),
    ('loc_peak_loc', 'local_intensity', 'Local intensity peak', 'VJGA'),
    ('loc_peak_glob', 'local_intensity', 'Global intensity peak', '0F91'),
    ('stat_mean', 'statistics', 'Mean', 'Q4LE'),
    ('stat_var', 'statistics', 'Variance', 'ECT3'),
    ('stat_skew', 'statistics', 'Skewness', 'KE2A'),
    ('stat_kurt', 'statistics', '(Excess) kurtosis', 'IPH6'),
    ('stat_median', 'statistics', 'Median', 'Y12H'),
    ('stat_min', 'statistics', 'Minimum', '1GSF'),
    ('stat_p10', 'statistics', '10th percentile', 'QG58'),
    ('stat_p90', 'statistics', '90th percentile', '8DWT'),
    ('stat_max', 'statistics', 'Maximum', '84IY'),
    ('stat_iqr', 'statistics', 'Interquartile range', 'SALO'),
    ('stat_range', 'statistics', 'Range', '2OJQ'),
    ('stat_mad', 'statistics', 'Mean absolute deviation', '4FUA'),
    ('stat_rmad', 'statistics', 'Robust mean absolute deviation', '1128'),
    ('stat_medad', 'statistics', 'Median absolute deviation', 'N72L'),
    ('stat_cov', 'statistics', 'Coefficient of variation', '7TET'),
    ('stat_qcod', 'statistics', 'Quartile coefficient of dispersion', '9S40'),
    ('stat_energy', 'statistics', 'Energy', 'N8CA'),
    ('stat_rms', 'statistics', 'Root mean square', '5ZWQ'),
    ('ih_mean', 'intensity_histogram', 'Mean', 'X6K6'),
    ('ih_var', 'intensity_histogram', 'Variance', 'CH89'),
    ('ih_skew', 'intensity_histogram', 'Skewness', '88K1'),
    ('ih_kurt', 'intensity_histogram', '(Excess) kurtosis', 'C3I7'),
    ('ih_median', 'intensity_histogram', 'Median', 'WIFQ'),
    ('ih_min', 'intensity_histogram', 'Minimum', '1PR8'),
    ('ih_p10', 'intensity_histogram', '10th percentile', 'GPMT'),
    ('ih_p90', 'intensity_histogram', '90th percentile', 'OZ0C'),
    ('ih_max', 'intensity_histogram', 'Maximum', '3NCY'),
    ('ih_mode', 'intensity_histogram', 'Mode', 'AMMC'),
    ('ih_iqr', 'intensity_histogram', 'Interquartile range', 'WR0O'),
    ('ih_range', 'intensity_histogram', 'Range', '5Z3W'),
    ('ih_mad', 'intensity_histogram', 'Mean absolute deviation', 'D2ZX'),
    ('ih_rmad', 'intensity_histogram', 'Robust mean absolute deviation', 'WRZB'),
    ('ih_medad', 'intensity_histogram', 'Median absolute deviation', '4RNL'),
    ('ih_cov', 'intensity_histogram', 'Coefficient of variation', 'CWYJ'),
    ('ih_qcod', 'intensity_histogram', 'Quartile coefficient of dispersion', 'SLWD'),
    ('ih_entropy', 'intensity_histogram', 'Entropy', 'TLU2'),
    ('ih_uniformity', 'intensity_histogram', 'Uniformity', 'BJ5W'),
    ('ih_max_grad', 'intensity_histogram', 'Maximum histogram gradient', '12CE'),
    ('ih_max_grad_g', 'intensity_histogram', 'Maximum histogram gradient intensity', '8E6O'),
    ('ih_min_grad', 'intensity_histogram', 'Minimum histogram gradient', 'VQB3'),
    ('ih_min_grad_g', 'intensity_histogram', 'Minimum histogram gradient intensity', 'RHQZ'),
    ('ivh_v10', 'intensity_volume_histogram', 'Volume fraction at 10% intensity', 'NK6P'),
    ('ivh_v90', 'intensity_volume_histogram', 'Volume fraction at 90% intensity', '4279'),
    ('ivh_i10', 'intensity_volume_histogram', 'Intensity at 10% volume', 'PWN1'),
    ('ivh_i90', 'intensity_volume_histogram', 'Intensity at 90% volume', 'BOHI'),
    ('ivh_diff_v10_v90', 'intensity_volume_histogram', 'Volume fraction difference between 10% and 90% intensity', 'WITY'),
    ('ivh_diff_i10_i90', 'intensity_volume_histogram', 'Intensity difference between 10% and 90% volume', 'JXJA'),
    ('ivh_auc', 'intensity_volume_histogram', 'Area under the IVH curve', '9CMM'),
    ('cm_joint_max', 'glcm', 'Joint maximum', 'GYBY'),
    ('cm_joint_avg', 'glcm', 'Joint average', '60VM'),
    ('cm_joint_var', 'glcm', 'Joint variance', 'UR99'),
    ('cm_joint_entr', 'glcm', 'Joint entropy', 'TU9B'),
    ('cm_diff_avg', 'glcm', 'Difference average', 'TF7R'),
    ('cm_diff_var', 'glcm', 'Difference variance', 'D3YU'),
    ('cm_diff_entr', 'glcm', 'Difference entropy', 'NTRS'),
    ('cm_sum_avg', 'glcm', 'Sum average', 'ZGXS'),
    ('cm_sum_var', 'glcm', 'Sum variance', 'OEEB'),
    ('cm_sum_entr', 'glcm', 'Sum entropy', 'P6QZ'),
    ('cm_energy', 'glcm', 'Angular second moment', '8ZQL'),
    ('cm_contrast', 'glcm', 'Contrast', 'ACUI'),
    ('cm_dissimilarity', 'glcm', 'Dissimilarity', '8S9J'),
    ('cm_inv_diff', 'glcm', 'Inverse difference', 'IB1Z'),
    ('cm_inv_diff_norm', 'glcm', 'Normalised inverse difference', 'NDRX'),
    ('cm_inv_diff_mom', 'glcm', 'Inverse difference moment', 'WF0Z'),
    ('cm_inv_diff_mom_norm', 'glcm', 'Normalised inverse difference moment', '1QCO'),
    ('cm_inv_var', 'glcm', 'Inverse variance', 'E8JP'),
    ('cm_corr', 'glcm', 'Correlation', 'NI2N'),
    ('cm_auto_corr', 'glcm', 'Autocorrelation', 'QWB0'),
    ('cm_clust_tend', 'glcm', 'Cluster tendency', 'DG8W'),
    ('cm_clust_shade', 'glcm', 'Cluster shade', '7NFM'),
    ('cm_clust_prom', 'glcm', 'Cluster prominence', 'AE86'),
    ('cm_info_corr1', 'glcm', 'Information correlation 1', 'R8DG'),
    ('cm_info_corr2', 'glcm', 'Information correlation 2', 'JN9H'),
    ('rlm_sre', 'glrlm', 'Short runs emphasis', '22OV'),
    ('rlm_lre', 'glrlm', 'Long runs emphasis', 'W4KF'),
    ('rlm_lgre', 'glrlm', 'Low grey level run emphasis', 'V3SW'),
    ('rlm_hgre', 'glrlm', 'High grey level run emphasis', 'G3QZ'),
    ('rlm_srlge', 'glrlm', 'Short run low grey level emphasis', 'HTZT'),
    ('rlm_srhge', 'glrlm', 'Short run high grey level emphasis', 'GD3A'),
    ('rlm_lrlge', 'glrlm', 'Long run low grey level emphasis', 'IVPO'),
    ('rlm_lrhge', 'glrlm', 'Long run high grey level emphasis', '3KUM'),
    ('rlm_glnu', 'glrlm', 'Grey level non-uniformity', 'R5YN'),
    ('rlm_glnu_norm', 'glrlm', 'Normalised grey level non-uniformity', 'OVBL'),
    ('rlm_rlnu', 'glrlm', 'Run length non-uniformity', 'W92Y'),
    ('rlm_rlnu_norm', 'glrlm', 'Normalised run length non-uniformity', 'IC23'),
    ('rlm_r_perc', 'glrlm', 'Run percentage', '9ZK5'),
    ('rlm_gl_var', 'glrlm', 'Grey level variance', '8CE5'),
    ('rlm_rl_var', 'glrlm', 'Run length variance', 'SXLW'),
    ('rlm_rl_entr', 'glrlm', 'Run entropy', 'HJ9O'),
    ('szm_sze', 'glszm', 'Small zone emphasis', '5QRC'),
    ('szm_lze', 'glszm', 'Large zone emphasis', '48P8'),
    ('szm_lgze', 'glszm', 'Low grey level emphasis', 'XMSY'),
    ('szm_hgze', 'glszm', 'High grey level emphasis', '5GN9'),
    ('szm_szlge', 'glszm', 'Small zone low grey level emphasis', '5RAI'),
    ('szm_szhge', 'glszm', 'Small zone high grey level emphasis', 'HW1V'),
    ('szm_lzlge', 'glszm', 'Large zone low grey level emphasis', 'YH51'),
    ('szm_lzhge', 'glszm', 'Large zone high grey level emphasis', 'J17V'),
    ('szm_glnu', 'glszm', 'Grey level non-uniformity', 'JNSA'),
    ('szm_glnu_norm', 'glszm', 'Normalised grey level non-uniformity', 'Y1RO'),
    ('szm_zsnu', 'glszm', 'Zone size non-uniformity', '4JP3'),
    ('szm_zsnu_norm', 'glszm', 'Normalised zone size non-uniformity', 'VB3A'),
    ('szm_z_perc', 'glszm', 'Zone percentage', 'P30P'),
    ('szm_gl_var', 'glszm', 'Grey level variance', 'BYLV'),
    ('szm_zs_var', 'glszm', 'Zone size variance', '3NSA'),
    ('szm_zs_entr', 'glszm', 'Zone size entropy', 'GU8N'),
    ('dzm_sde', 'gldzm', 'Small distance emphasis', '0GBI'),
    ('dzm_lde', 'gldzm', 'Large distance emphasis', 'MB4I'),
    ('dzm_lgze', 'gldzm', 'Low grey level emphasis', 'S1RA'),
    ('dzm_hgze', 'gldzm', 'High grey level emphasis', 'K26C'),
    ('dzm_sdlge', 'gldzm', 'Small distance low grey level emphasis', 'RUVG'),
    ('dzm_sdhge', 'gldzm', 'Small distance high grey level emphasis', 'DKNJ'),
    ('dzm_ldlge', 'gldzm', 'Large distance low grey level emphasis', 'A7WM'),
    ('dzm_ldhge', 'gldzm', 'Large distance high grey level emphasis', 'KLTH'),
    ('dzm_glnu', 'gldzm', 'Grey level non-uniformity', 'VFT7'),
    ('dzm_glnu_norm', 'gldzm', 'Normalised grey level non-uniformity', '7HP3'),
    ('dzm_zdnu', 'gldzm', 'Zone distance non-uniformity', 'V294'),
    ('dzm_zdnu_norm', 'gldzm', 'Normalised zone distance non-uniformity', 'IATH'),
    ('dzm_z_perc', 'gldzm', 'Zone percentage', 'VIWW'),
    ('dzm_gl_var', 'gldzm', 'Grey level variance', 'QK93'),
    ('dzm_zd_var', 'gldzm', 'Zone distance variance', '7WT1'),
    ('dzm_zd_entr', 'gldzm', 'Zone distance entropy', 'GBDU'),
    ('ngt_coarseness', 'ngtdm', 'Coarseness', 'QCDE'),
    ('ngt_contrast', 'ngtdm', 'Contrast', '65HE'),
    ('ngt_busyness', 'ngtdm', 'Busyness', 'NQ30'),
    ('ngt_complexity', 'ngtdm', 'Complexity', 'HDEZ'),
    ('ngt_strength', 'ngtdm', 'Strength', '1X9X'),
    ('ngl_lde', 'ngldm', 'Low dependence emphasis', 'SODN'),
    ('ngl_hde', 'ngldm', 'High dependence emphasis', 'IMOQ'),
    ('ngl_lgce', 'ngldm', 'Low grey level count emphasis', 'TL9H'),
    ('ngl_hgce', 'ngldm', 'High grey level count emphasis', 'OAE7'),
    ('ngl_ldlge', 'ngldm', 'Low dependence low grey level emphasis', 'EQ3F'),
    ('ngl_ldhge', 'ngldm', 'Low dependence high grey level emphasis', 'JA6D'),
    ('ngl_hdlge', 'ngldm', 'High dependence low grey level emphasis', 'NBZI'),
    ('ngl_hdhge', 'ngldm', 'High dependence high grey level emphasis', '9QMG'),
    ('ngl_glnu', 'ngldm', 'Grey level non-uniformity', 'FP8K'),
    ('ngl_glnu_norm', 'ngldm', 'Normalised grey level non-uniformity', '5SPA'),
    ('ngl_dcnu', 'ngldm', 'Dependence count non-uniformity', 'Z87G'),
    ('ngl_dcnu_norm', 'ngldm', 'Normalised dependence count non-uniformity', 'OKJI'),
    ('ngl_dc_perc', 'ngldm', 'Dependence count percentage', '6XV8'),
    ('ngl_gl_var', 'ngldm', 'Grey level variance', '1PFV'),
    ('ngl_dc_var', 'ngldm', 'Dependence count variance', 'DNX2'),
    ('ngl_dc_entr', 'ngldm', 'Dependence count entropy', 'FCBV'),
    ('ngl_dc_energy', 'ngldm', 'Dependence count energy', 'CAS9'),
)

FEATURES: tuple[IbsiFeature, ...] = tuple(IbsiFeature(*row) for row in _TABLE)


def _kind(family: str) -> str | None:
    if family in ("glcm", "glrlm"):
        return "glcm_glrlm"
    if family in ("glszm", "gldzm", "ngtdm", "ngldm"):
        return "zone"
    return None


def feature_tags(dims=("2D", "2.5D", "3D")) -> list[str]:
    """Every output tag for the given texture dimensionalities, in registry order."""
    out = []
    for f in FEATURES:
        kind = _kind(f.family)
        if kind is None:
            out.append(f.tag)
            continue
        out.extend(f"{f.tag}_{suf}" for suf, _id, dim in AGGREGATIONS[kind] if dim in dims)
    return out


def lookup(tag: str) -> tuple[IbsiFeature, str | None]:
    """The feature and the IBSI aggregation id of an output tag.

    Raises
    ------
    KeyError
        Unknown tag.
    """
    for f in FEATURES:
        kind = _kind(f.family)
        if kind is None:
            if tag == f.tag:
                return f, None
            continue
        for suf, agg_id, _dim in AGGREGATIONS[kind]:
            if tag == f"{f.tag}_{suf}":
                return f, agg_id
    raise KeyError(tag)
