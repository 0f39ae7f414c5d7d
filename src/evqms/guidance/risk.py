"""ICH Q9 risk scoring and the starter hazard list per stage (pure data, no I/O).

Scoring (INFERRED: ICH Q9 leaves the scales to the user; this is the project's default):
severity, occurrence and detectability each on 1-5 (detectability 1 = almost certainly detected
before it reaches a patient, 5 = cannot be detected). Risk priority number RPN = S x O x D (1-125).
Class: high when RPN >= 60 or severity 5 with occurrence >= 3; medium when RPN >= 20 or
severity 5; low otherwise. Every high risk needs a control linked to a specification attribute
or a process parameter (JSRM-1-R1).

Stages follow the risk factors JSRM-1-R1 names (SEED): raw materials, cell bank, culture,
harvest/purification, fill/storage, transport, non-clinical and clinical evaluation,
administration and handling at the clinical site.
"""

from __future__ import annotations

from dataclasses import dataclass

SCALE = range(1, 6)
HIGH_RPN = 60
MEDIUM_RPN = 20

STAGES: dict[str, dict[str, str]] = {
    "raw_materials": {"en": "Raw materials and donors", "ja": "原料・ドナー"},
    "cell_bank": {"en": "Cell bank", "ja": "セルバンク"},
    "culture": {"en": "Culture", "ja": "培養"},
    "harvest_purification": {"en": "Harvest and purification", "ja": "回収・精製"},
    "fill_storage": {"en": "Fill and storage", "ja": "分注・保管"},
    "transport": {"en": "Transport", "ja": "輸送"},
    "non_clinical": {"en": "Non-clinical evaluation", "ja": "非臨床評価"},
    "clinical": {"en": "Clinical evaluation", "ja": "臨床評価"},
    "administration": {"en": "Administration", "ja": "投与"},
    "clinical_site": {"en": "Handling at the clinical site", "ja": "医療現場での取扱い"},
}


def rpn(severity: int, occurrence: int, detectability: int) -> int:
    for name, value in (("severity", severity), ("occurrence", occurrence), ("detectability", detectability)):
        if value not in SCALE:
            raise ValueError(f"{name} must be 1-5, got {value!r}")
    return severity * occurrence * detectability


def risk_class(severity: int, occurrence: int, detectability: int) -> str:
    score = rpn(severity, occurrence, detectability)
    if score >= HIGH_RPN or (severity == 5 and occurrence >= 3):
        return "high"
    if score >= MEDIUM_RPN or severity == 5:
        return "medium"
    return "low"


@dataclass(frozen=True)
class StarterHazard:
    stage: str
    hazard: dict[str, str]
    cause: dict[str, str]
    suggested_control: dict[str, str]
    source: str  # provenance tag and source id from the guidance catalogue


def _h(stage, hazard_en, hazard_ja, cause_en, cause_ja, control_en, control_ja, source):
    return StarterHazard(
        stage,
        {"en": hazard_en, "ja": hazard_ja},
        {"en": cause_en, "ja": cause_ja},
        {"en": control_en, "ja": control_ja},
        source,
    )


STARTER_HAZARDS: tuple[StarterHazard, ...] = (
    _h(
        "raw_materials",
        "Infectious agents from the donor",
        "ドナー由来の感染因子",
        "Incomplete donor screening (HBV, HCV, HIV, HTLV, syphilis)",
        "ドナースクリーニングの不備 (HBV, HCV, HIV, HTLV, 梅毒)",
        "Donor eligibility and infectious-marker testing before collection",
        "採取前のドナー適格性確認と感染症検査",
        "INFERRED JSRM21-6; FOUND S22 §3.1",
    ),
    _h(
        "raw_materials",
        "Adventitious agents from animal-derived materials",
        "動物由来原料からの外来性因子",
        "Fetal bovine serum or other animal components in the medium",
        "培地中のウシ胎児血清等の動物由来成分",
        "Xeno-free medium; bovine-virus/TSE compliance for any animal component",
        "ゼノフリー培地; 動物由来成分のウシウイルス・TSE適合記録",
        "SEED JSRM-3-R2; FOUND S22 §3.2",
    ),
    _h(
        "raw_materials",
        "Bovine EVs carried over from serum",
        "血清由来ウシEVの混入",
        "FBS contains its own EVs that co-purify with the product",
        "FBS自体のEVが製品と共に精製される",
        "Serum-free or EV-depleted medium; species-specific marker test",
        "無血清またはEV除去培地; 動物種特異的マーカー試験",
        "FOUND S22 §3.2",
    ),
    _h(
        "cell_bank",
        "Cross-contamination or misidentification of cells",
        "細胞の交叉汚染・取り違え",
        "Bank not characterised (identity, STR)",
        "セルバンクの特性解析 (同一性, STR) 未実施",
        "MCB/WCB characterisation: identity, sterility, mycoplasma, viruses, karyotype",
        "MCB/WCBの特性解析: 同一性, 無菌, マイコプラズマ, ウイルス, 核型",
        "INFERRED JSRM21-7; FOUND S25",
    ),
    _h(
        "cell_bank",
        "Tumorigenicity of iPS-derived or immortalised sources",
        "iPS細胞由来・不死化細胞の造腫瘍性",
        "Tumorigenic impurity cells, their DNA or EVs",
        "造腫瘍性を持つ不純細胞, そのDNAやEV",
        "Genetic stability testing; residual host-cell DNA limit",
        "遺伝的安定性試験; 残留宿主DNAの規格",
        "FOUND S22 §3.1, S10 p.6",
    ),
    _h(
        "culture",
        "Microbial contamination",
        "微生物汚染",
        "Non-aseptic operation, open manipulations",
        "無菌操作の不備, 開放系操作",
        "Aseptic-processing SOP, environmental monitoring, sterility test",
        "無菌操作SOP, 環境モニタリング, 無菌試験",
        "SEED JSRM-2-R1; FOUND S10 p.6",
    ),
    _h(
        "culture",
        "Mycoplasma contamination",
        "マイコプラズマ汚染",
        "Contaminated cells or reagents",
        "汚染された細胞または試薬",
        "Mycoplasma test at end of culture (cells + medium)",
        "培養終了時 (細胞+培地) のマイコプラズマ否定試験",
        "FOUND S22 §3.3.4",
    ),
    _h(
        "culture",
        "Drift of producing cells changes EV quality",
        "産生細胞の変化によるEV品質の変動",
        "Passage number, confluence, oxygen and medium not controlled",
        "継代数, コンフルエンシー, 酸素濃度, 培地が管理されていない",
        "Critical process parameters with ranges; passage limit",
        "重要工程パラメータの範囲設定; 継代数上限",
        "SEED JSRM-2-R1; FOUND S22 §3.2",
    ),
    _h(
        "harvest_purification",
        "Endotoxin",
        "エンドトキシン",
        "Contaminated water, reagents or equipment",
        "汚染された水, 試薬, 器具",
        "Endotoxin limit K/M and test per lot",
        "K/Mに基づくエンドトキシン規格とロット毎の試験",
        "FOUND S27, S22 §3.3.7",
    ),
    _h(
        "harvest_purification",
        "Residual process reagents and impurities",
        "工程由来の残留試薬・不純物",
        "Precipitation polymers, antibiotics, serum proteins, host-cell DNA",
        "沈殿ポリマー, 抗生物質, 血清タンパク質, 宿主細胞DNA",
        "Residual tests with limits or removal justification",
        "残留物試験と規格, または除去の妥当性説明",
        "INFERRED JSRM21-8; FOUND S22 §3.2",
    ),
    _h(
        "harvest_purification",
        "Heterogeneity: non-EV particles and co-isolates",
        "不均一性: EV以外の粒子や共精製物",
        "Isolation method not standardised",
        "分離精製法が標準化されていない",
        "Size distribution, EV markers and purity ratio per lot",
        "ロット毎の粒子径分布, EVマーカー, 純度比",
        "SEED JSRM-3-R1; FOUND S22 §3.2",
    ),
    _h(
        "fill_storage",
        "Loss of activity or aggregation in storage",
        "保管中の活性低下・凝集",
        "Unvalidated storage temperature, freeze-thaw cycles",
        "未検証の保管温度, 凍結融解",
        "Stability study; storage temperature log; freeze-thaw limit",
        "安定性試験; 保管温度記録; 凍結融解回数の上限",
        "INFERRED JSRM21-9; FOUND S22 §3.4",
    ),
    _h(
        "fill_storage",
        "Mix-up of lots or containers",
        "ロット・容器の取り違え",
        "Labelling and storage locations not controlled",
        "表示と保管場所の管理不備",
        "Unique container ids, storage location records",
        "容器ごとの識別番号, 保管場所の記録",
        "SEED JSRM-2-R1",
    ),
    _h(
        "transport",
        "Cold-chain failure",
        "コールドチェーンの逸脱",
        "Shipment outside the validated temperature",
        "検証された温度範囲外での輸送",
        "Temperature logger and acceptance on receipt",
        "温度ロガーと受入時の確認",
        "SEED JSRM-1-R1",
    ),
    _h(
        "non_clinical",
        "Efficacy not supported by a relevant model",
        "妥当なモデルで有効性が裏付けられていない",
        "No potency assay linked to the indication",
        "適応に関連した力価評価系がない",
        "In-vitro potency assay or in-vivo study linked to the indication",
        "適応に関連したin vitro力価評価系またはin vivo試験",
        "SEED JSRM-3-R4",
    ),
    _h(
        "non_clinical",
        "Unknown biodistribution and off-target accumulation",
        "体内動態が不明, 標的外への集積",
        "No biodistribution data for the route",
        "投与経路についての体内動態データがない",
        "Biodistribution study with two methods",
        "二法併用の体内動態試験",
        "SEED JSRM-3-P1; FOUND S22 §4.1.3",
    ),
    _h(
        "clinical",
        "Adverse events not traceable to the lot",
        "有害事象がロットに遡及できない",
        "Missing administration records or retention samples",
        "投与記録や保存検体の欠如",
        "Retention samples and complete administration records",
        "保存検体と完全な投与記録",
        "SEED JSRM-1-R2",
    ),
    _h(
        "administration",
        "Dosing error",
        "投与量の誤り",
        "Dose unit confusion (particles vs protein, per kg)",
        "投与量単位の混同 (粒子数とタンパク質量, 体重あたり)",
        "Dose within the supported range, double check at administration",
        "裏付けのある範囲内の投与量, 投与時のダブルチェック",
        "SEED JSRM-3-R5",
    ),
    _h(
        "administration",
        "Sepsis or infusion reaction",
        "敗血症・投与時反応",
        "Contaminated product, route-specific endotoxin limit exceeded",
        "汚染された製剤, 投与経路別のエンドトキシン上限超過",
        "Sterility and endotoxin release tests; route-specific K (0.2 EU/kg intrathecal)",
        "無菌試験とエンドトキシン出荷試験; 投与経路別のK (髄腔内 0.2 EU/kg)",
        "FOUND S10 p.6, S27",
    ),
    _h(
        "clinical_site",
        "Improper thawing or handling before use",
        "使用前の不適切な融解・取扱い",
        "No handling instructions at the clinic",
        "医療機関での取扱い手順がない",
        "Handling SOP and training at the clinical site",
        "医療現場の取扱いSOPと教育訓練",
        "SEED JSRM-1-R1",
    ),
)


def starter_hazards(stage: str | None = None) -> list[StarterHazard]:
    if stage is not None and stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; choose one of {', '.join(STAGES)}")
    return [h for h in STARTER_HAZARDS if stage is None or h.stage == stage]
