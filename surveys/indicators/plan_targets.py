"""Targets stated by the plans of the five demo communes (../shared/seeds/), with their wording.

Loaded by `flask load-demo`. Each row: commune (or area: a group of communes), indicator, comparator,
value, year, optional baseline, the plan's start year where the document states one, and the
document/article/text it comes from, so a report can quote the plan it measures. Seed 003 is the
programme of the former Cẩm Xuyên district ("toàn huyện"): its targets belong to the group of the
communes that replaced the district, `cam-xuyen-district`.
"""

from __future__ import annotations

from typing import Any

CAM_LO = "Nghị quyết HĐND xã Cam Lộ thông qua Đề án đầu tư hoàn thiện hạ tầng công nghệ số, " \
         "xây dựng chính quyền số đến năm 2030"
NGHIA_HANH = "Kế hoạch Chuyển đổi số xã Nghĩa Hành năm 2025"
CAM_DUE = "Báo cáo kết quả 2025 và Kế hoạch chuyển đổi số năm 2026 xã Cẩm Duệ"
CAM_XUYEN = "Chương trình hành động của Ban Thường vụ Huyện ủy Cẩm Xuyên thực hiện Nghị quyết " \
            "05-NQ/TU về chuyển đổi số (huyện cũ)"
AREAS = frozenset({"cam-xuyen-district"})  # places of rows stored on a group, not a commune
KON_CHIENG = "Nghị quyết HĐND xã Kon Chiêng triển khai Nghị quyết 57-NQ/TW"

# The first year of each plan, as its document states it: Cam Lộ's investment "giai đoạn 2025 -
# 2030", Nghĩa Hành's and Cẩm Duệ's one-year plans for 2025 and 2026, Cẩm Xuyên's Nghị quyết
# 05-NQ/TU "giai đoạn 2021 - 2025, định hướng đến năm 2030". Kon Chiêng's resolution names no
# period of its own (its targets are "đến năm 2025 / 2030"): no start year.
START_YEARS = {CAM_LO: 2025, NGHIA_HANH: 2025, CAM_DUE: 2026, CAM_XUYEN: 2021}


def _t(commune: str, indicator: str, comparator: str | None, value: float | None,
       year: int | None, document: str, article: str, text: str, *,
       baseline: tuple[float, int] | None = None) -> dict[str, Any]:
    return {"area" if commune in AREAS else "commune": commune, "indicator": indicator,
            "comparator": comparator, "value": value,
            "target_year": year, "baseline_value": baseline[0] if baseline else None,
            "baseline_year": baseline[1] if baseline else None,
            "start_year": START_YEARS.get(document) if value is not None else None,
            "source_document": document,
            "source_article": article, "source_text": text}


PLAN_TARGETS: tuple[dict[str, Any], ...] = (
    _t("cam-lo", "area_5g", ">=", 95, 2030, CAM_LO, "Điều 1, I.2.1",
       "Tỷ lệ phủ sóng 5G trên địa bàn xã đạt 95%."),
    _t("cam-lo", "hh_fiber_available", ">=", 97, 2030, CAM_LO, "Điều 1, I.2.1",
       "Tỷ lệ người dùng có khả năng truy cập băng rộng cố định và tốc độ trên 01 Gb/s đạt 97%."),
    _t("cam-lo", "adult_digital_services", ">=", 90, 2030, CAM_LO, "Điều 1, I.2.2",
       "Tỷ lệ dân số trưởng thành tiếp cận dịch vụ số trong y tế, giáo dục, bảo hiểm, giao thông "
       "… đạt ≥ 90%."),
    _t("cam-lo", "adult_vneid", ">=", 85, 2030, CAM_LO, "Điều 1, I.2.3",
       "Tỷ lệ người dân có tài khoản định danh điện tử VneID đạt ≥ 85."),
    _t("nghia-hanh", "adult_digital_signature", ">", 50, 2025, NGHIA_HANH, "Phụ lục 1, mục 8.2",
       "Tỷ lệ dân số trưởng thành được cấp chứng thư chữ ký số, chứng thư chữ ký điện tử đạt "
       "trên 50%."),
    _t("cam-due", "hh_4g_home", ">=", 100, 2026, CAM_DUE, "Phần II, mục III.1",
       "Phủ sóng di động 4G/5G đến 100% hộ gia đình (kế hoạch năm 2026)."),
    _t("cam-due", "adult_bank_account", ">", 60, 2026, CAM_DUE, "Phần II, mục II.2",
       "Có trên 60% người dân trở lên có tài khoản giao dịch tại ngân hàng hoặc các tổ chức khác "
       "được phép."),
    _t("cam-due", "hh_online_shopping", ">", 60, 2026, CAM_DUE, "Phần II, mục II.2",
       "Trên 60% hộ gia đình trở lên tham gia mua sắm trực tuyến."),
    _t("cam-due", "smartphone_egov", ">", 80, 2026, CAM_DUE, "Phần II, mục II.2",
       "Trên 80% người dùng điện thoại thông minh được tiếp cận, sử dụng các dịch vụ chính quyền "
       "điện tử."),
    _t("cam-due", "adult_epayment", ">", 60, 2026, CAM_DUE, "Phần II, mục II.2",
       "Có trên 60% người dân trưởng thành sử dụng dịch vụ thanh toán điện tử."),
    _t("cam-due", "hh_fiber", None, None, None, CAM_DUE, "Phần I, mục I.3",
       "Tỷ lệ hộ gia đình có băng rộng cáp quang FTTH đạt 65% (kết quả năm 2025).",
       baseline=(65, 2025)),
    _t("cam-xuyen-district", "village_4g", ">=", 100, 2025, CAM_XUYEN, "II.2.a",
       "Phủ sóng mạng di động 4G và mạng internet cáp quang đến 100% địa bàn dân cư."),
    _t("cam-xuyen-district", "area_5g", ">=", 50, 2025, CAM_XUYEN, "II.2.a",
       "Phấn đấu triển khai mạng di động 5G đạt tối thiểu 50% địa bàn dân cư toàn huyện."),
    _t("cam-xuyen-district", "area_5g", ">=", 100, 2030, CAM_XUYEN, "II.3",
       "Phủ sóng mạng di động 5G và mạng Internet cáp quang đến 100% địa bàn dân cư toàn huyện."),
    _t("cam-xuyen-district", "adult_smartphone", ">", 90, 2025, CAM_XUYEN, "II.2.a",
       "Tỷ lệ người dân có điện thoại thông minh đạt trên 90%."),
    _t("cam-xuyen-district", "hh_fixed_broadband", ">", 90, 2025, CAM_XUYEN, "II.2.a",
       "Tỷ lệ hộ gia đình có kết nối internet băng rộng đạt trên 90%."),
    _t("kon-chieng", "village_4g", ">=", 100, 2025, KON_CHIENG, "Điều 1, 2.1",
       "100% làng có sóng di động 4G."),
    _t("kon-chieng", "area_5g", ">=", 60, 2025, KON_CHIENG, "Điều 1, 2.1",
       "Phấn đấu phủ sóng 5G ≥ 60%."),
    _t("kon-chieng", "adult_digital_services", ">=", 80, 2025, KON_CHIENG, "Điều 1, 2.1",
       "80% người dân trưởng thành sử dụng dịch vụ số cơ bản (y tế, giáo dục, bảo hiểm, giao "
       "thông)."),
    _t("kon-chieng", "adult_vneid", ">=", 90, 2030, KON_CHIENG, "Điều 1, 2.2",
       "90% dân số trưởng thành có tài khoản định danh điện tử (VNeID)."),
)
