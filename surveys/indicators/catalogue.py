"""The indicator catalogue: what each indicator counts (numerator and denominator from one
household's answers, or a census of villages / populated cells) and how the plans word it.
Pure data, no database, no Flask. The statistics live in surveys/indicators/estimators.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from surveys.errors import Text

Answers = Mapping[str, Any]


@dataclass(frozen=True)
class Indicator:
    code: str
    name: Text
    unit: str  # household | adult | smartphone_user | village | area
    definition: Text
    numerator: Callable[[Answers], float] | None = None
    denominator: Callable[[Answers], float] | None = None

    @property
    def kind(self) -> str:
        if self.unit == "household":
            return "proportion"
        if self.unit in ("village", "area"):
            return self.unit
        return "ratio"


def _is(question: str, *values: str) -> Callable[[Answers], float]:
    return lambda a: 1.0 if a.get(question) in values else 0.0


def _count(question: str) -> Callable[[Answers], float]:
    return lambda a: float(a.get(question) or 0)


def _one(_answers: Answers) -> float:
    return 1.0


def _household(code: str, vi: str, en: str, numerator: Callable[[Answers], float],
               def_vi: str, def_en: str) -> Indicator:
    return Indicator(code, Text(vi, en), "household", Text(def_vi, def_en), numerator, _one)


def _people(code: str, unit: str, vi: str, en: str, numerator: str, denominator: str) -> Indicator:
    return Indicator(code, Text(vi, en), unit,
                     Text(f"Σ {numerator} / Σ {denominator} (hộ đồng ý trả lời)",
                          f"Σ {numerator} / Σ {denominator} (consenting households)"),
                     _count(numerator), _count(denominator))


CATALOGUE: dict[str, Indicator] = {i.code: i for i in (
    _household("hh_fixed_broadband", "Hộ có internet băng rộng cố định",
               "Households with fixed broadband", lambda a: float(a.get("fixed_broadband") not in
                                                                  (None, "none")),
               "fixed_broadband ≠ none", "fixed_broadband ≠ none"),
    _household("hh_fiber", "Hộ dùng cáp quang (FTTH)", "Households on fibre (FTTH)",
               _is("fixed_broadband", "fiber"), "fixed_broadband = fiber",
               "fixed_broadband = fiber"),
    _household("hh_fiber_available", "Hộ dùng hoặc đăng ký được cáp quang",
               "Households on fibre or where fibre can be ordered",
               lambda a: float(a.get("fixed_broadband") == "fiber" or a.get("fiber_available") ==
                               "yes"),
               "fixed_broadband = fiber hoặc fiber_available = yes",
               "fixed_broadband = fiber or fiber_available = yes"),
    _household("hh_4g_home", "Hộ dùng được 4G/5G trong nhà", "Households with 4G or 5G at home",
               _is("mobile_best_technology", "4g", "5g"), "mobile_best_technology ∈ {4g, 5g}",
               "mobile_best_technology ∈ {4g, 5g}"),
    _household("hh_5g_home", "Hộ dùng được 5G trong nhà", "Households with 5G at home",
               _is("mobile_best_technology", "5g"), "mobile_best_technology = 5g",
               "mobile_best_technology = 5g"),
    _household("hh_online_shopping", "Hộ mua sắm trực tuyến", "Households shopping online",
               _is("online_shopping", "yes"), "online_shopping = yes (12 tháng qua)",
               "online_shopping = yes (last 12 months)"),
    _household("hh_online_selling", "Hộ bán hàng trực tuyến", "Households selling online",
               _is("online_selling", "yes"), "online_selling = yes", "online_selling = yes"),
    _people("adult_smartphone", "adult", "Người trưởng thành dùng điện thoại thông minh",
            "Adults using a smartphone", "smartphone_users", "members_adult"),
    _people("smartphone_egov", "smartphone_user",
            "Người dùng điện thoại thông minh dùng dịch vụ công trực tuyến",
            "Smartphone users using online public services", "egov_users", "smartphone_users"),
    _people("adult_vneid", "adult", "Người trưởng thành có tài khoản VNeID mức 2",
            "Adults with a level-2 VNeID account", "vneid_users", "members_adult"),
    _people("adult_bank_account", "adult", "Người trưởng thành có tài khoản ngân hàng",
            "Adults with a bank account", "bank_account_users", "members_adult"),
    _people("adult_epayment", "adult", "Người trưởng thành thanh toán điện tử",
            "Adults paying electronically", "epayment_users", "members_adult"),
    _people("adult_digital_signature", "adult", "Người trưởng thành có chữ ký số cá nhân",
            "Adults with a personal digital signature", "digital_signature_users",
            "members_adult"),
    _people("adult_digital_services", "adult",
            "Người trưởng thành dùng dịch vụ số (y tế, giáo dục, bảo hiểm, giao thông)",
            "Adults using digital services (health, education, insurance, transport)",
            "digital_services_users", "members_adult"),
    Indicator("village_4g", Text("Thôn có sóng 4G", "Villages covered by 4G"), "village",
              Text("Thôn có ít nhất 5 hộ được khảo sát và ≥ 80% số hộ đó dùng được 4G/5G trong nhà "
                   "/ số thôn đủ dữ liệu",
                   "Villages with at least 5 surveyed households of which ≥ 80% have 4G/5G at home "
                   "/ villages with enough data")),
    Indicator("area_4g", Text("Diện tích dân cư có sóng 4G", "Populated area with 4G"), "area",
              Text("Ô lục giác H3 có hộ dân được khảo sát, đa số hộ dùng được 4G/5G hoặc đối tác "
                   "viễn thông đo được sóng 4G/5G dùng được / ô có dân",
                   "Populated H3 cells whose surveyed households mostly have 4G/5G, or where "
                   "partners measured usable 4G/5G / populated cells")),
    Indicator("area_5g", Text("Diện tích dân cư có sóng 5G", "Populated area with 5G"), "area",
              Text("Ô lục giác H3 có hộ dân được khảo sát, đa số hộ dùng được 5G hoặc đối tác "
                   "viễn thông đo được sóng 5G dùng được / ô có dân",
                   "Populated H3 cells whose surveyed households mostly have 5G, or where partners "
                   "measured usable 5G / populated cells")),
)}

# How the plans word what each indicator measures (../shared/seeds/), for reports and exports.
PLAN_WORDING: dict[str, Text] = {
    "hh_fixed_broadband": Text("Tỷ lệ hộ gia đình có kết nối internet băng rộng",
                               "Share of households with a broadband internet connection"),
    "hh_fiber": Text("Tỷ lệ hộ gia đình có băng rộng cáp quang FTTH",
                     "Share of households with FTTH fibre broadband"),
    "hh_fiber_available": Text("Tỷ lệ người dùng có khả năng truy cập băng rộng cố định tốc độ "
                               "trên 01 Gb/s", "Share of users able to get fixed broadband above "
                               "1 Gb/s"),
    "hh_4g_home": Text("Phủ sóng di động 4G/5G đến hộ gia đình",
                       "4G/5G mobile coverage reaching households"),
    "hh_5g_home": Text("Phủ sóng 5G đến hộ gia đình", "5G coverage reaching households"),
    "hh_online_shopping": Text("Hộ gia đình tham gia mua sắm trực tuyến",
                               "Households shopping online"),
    "hh_online_selling": Text("Hộ cung cấp sản phẩm trên các nền tảng số, sàn thương mại điện tử",
                              "Households selling on digital platforms and e-commerce sites"),
    "adult_smartphone": Text("Tỷ lệ người dân có điện thoại thông minh",
                             "Share of people with a smartphone"),
    "smartphone_egov": Text("Người dùng điện thoại thông minh được tiếp cận, sử dụng các dịch vụ "
                            "chính quyền điện tử", "Smartphone users reaching and using "
                            "e-government services"),
    "adult_vneid": Text("Tỷ lệ dân số trưởng thành có tài khoản định danh điện tử (VNeID)",
                        "Share of adults with an electronic identity account (VNeID)"),
    "adult_bank_account": Text("Người dân có tài khoản giao dịch tại ngân hàng",
                               "People with a bank account"),
    "adult_epayment": Text("Người dân trưởng thành sử dụng dịch vụ thanh toán điện tử",
                           "Adults using electronic payment"),
    "adult_digital_signature": Text("Tỷ lệ dân số trưởng thành được cấp chứng thư chữ ký số",
                                    "Share of adults holding a digital-signature certificate"),
    "adult_digital_services": Text("Tỷ lệ dân số trưởng thành tiếp cận dịch vụ số trong y tế, "
                                   "giáo dục, bảo hiểm, giao thông", "Share of adults using digital "
                                   "services in health, education, insurance, transport"),
    "village_4g": Text("100% thôn (làng) có sóng di động 4G",
                       "4G mobile signal in 100% of villages"),
    "area_4g": Text("Phủ sóng mạng di động 4G đến 100% địa bàn dân cư",
                    "4G coverage of 100% of populated areas"),
    "area_5g": Text("Tỷ lệ phủ sóng 5G trên địa bàn dân cư", "5G coverage of populated areas"),
}
