"""One catalogue of coded errors (as ODK Central's problem.js). Rendered in surveys/views/errors.py.

Domain code raises `Problem`; field-level messages are bilingual `Text`s so the renderer can answer in
the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    """A message in Vietnamese (the default) and English."""

    vi: str
    en: str

    def get(self, locale: str | None) -> str:
        return self.en if locale == "en" else self.vi

    def format(self, **params: object) -> Text:
        return Text(self.vi.format(**params), self.en.format(**params))


@dataclass(frozen=True)
class ErrorKind:
    code: str
    status: int
    message: Text


CATALOGUE: dict[str, ErrorKind] = {
    kind.code: kind
    for kind in (
        ErrorKind("400.1", 400, Text("Yêu cầu không hợp lệ.", "The request is malformed.")),
        ErrorKind("400.2", 400, Text("Nội dung JSON không đọc được.", "The body is not valid JSON.")),
        ErrorKind("400.3", 400, Text("Biểu mẫu đã hết hạn, hãy tải lại trang.",
                                     "The form has expired (CSRF token missing or invalid); "
                                     "reload the page.")),
        ErrorKind("401.1", 401, Text("Cần đăng nhập hoặc mã truy cập (token) hợp lệ.",
                                     "Authentication required: log in or send a valid Bearer token.")),
        ErrorKind("403.1", 403, Text("Bạn không có quyền thực hiện thao tác này.",
                                     "You are not allowed to do this.")),
        ErrorKind("404.1", 404, Text("Không tìm thấy.", "Not found.")),
        ErrorKind("405.1", 405, Text("Phương thức không được hỗ trợ.", "Method not allowed.")),
        ErrorKind("409.1", 409, Text(
            "Mã phiếu (instance_id) này đã được gửi với nội dung khác. Phiếu đã lưu không bị thay đổi.",
            "This instance_id was already submitted with different content; the stored record is "
            "unchanged.")),
        ErrorKind("409.2", 409, Text(
            "Câu hỏi này đã có ảnh khác cho phiếu này.",
            "A different file is already attached to this question of this submission.")),
        ErrorKind("409.3", 409, Text(
            "Yêu cầu xung đột với trạng thái hiện tại của tệp tải lên.",
            "The request conflicts with the upload's current state.")),
        ErrorKind("410.1", 410, Text(
            "Phiên tải lên đã hết hạn; phần đã gửi bị xoá, hãy gửi lại từ đầu.",
            "The upload session has expired; its bytes were removed. Start the upload again.")),
        ErrorKind("412.1", 412, Text(
            "Phiên bản giao thức tus không được hỗ trợ (cần Tus-Resumable: 1.0.0).",
            "Unsupported tus version (send Tus-Resumable: 1.0.0).")),
        ErrorKind("413.1", 413, Text("Dữ liệu gửi lên quá lớn.", "The upload is too large.")),
        ErrorKind("415.1", 415, Text(
            "Cần Content-Type: application/offset+octet-stream.",
            "Send Content-Type: application/offset+octet-stream.")),
        ErrorKind("422.1", 422, Text("Dữ liệu chưa hợp lệ, hãy xem các trường được nêu.",
                                     "Validation failed; see the fields named in errors.")),
        ErrorKind("500.1", 500, Text("Lỗi máy chủ. Dữ liệu của bạn chưa bị mất; hãy thử lại sau.",
                                     "Internal server error; nothing was stored. Try again later.")),
    )
}


class Problem(Exception):
    """A coded, user-facing error. `errors` maps a field, question or line to its message."""

    def __init__(self, code: str, *, errors: Mapping[str, Text] | None = None,
                 message: Text | None = None, details: list[dict[str, object]] | None = None) -> None:
        self.kind = CATALOGUE[code]
        self.errors = dict(errors or {})
        self.details = details  # machine-readable extras, e.g. the first bad rows of a file
        self.message = message or self.kind.message
        super().__init__(f"{code} {self.message.en}")

    @property
    def status(self) -> int:
        return self.kind.status

    @property
    def code(self) -> str:
        return self.kind.code

    def to_json(self, locale: str | None) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": self.message.get(locale)}
        if self.errors:
            body["errors"] = {field: text.get(locale) for field, text in self.errors.items()}
        if self.details:
            body["details"] = [{k: v.get(locale) if isinstance(v, Text) else v
                                for k, v in detail.items()} for detail in self.details]
        return body

