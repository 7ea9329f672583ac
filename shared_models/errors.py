"""Stable error codes with their Chinese and English messages.

The server answers every error as JSON ``{"code", "message", "message_en", ...}``; the
phone switches on ``code`` (e.g. to decide whether to retry), so codes never change
meaning once released.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    "bad_request": ("请求格式不正确", "The request is malformed"),
    "validation_error": ("提交的数据有误", "The submitted data is invalid"),
    "auth.unauthenticated": ("请先登录", "Please sign in"),
    "auth.invalid_credentials": ("手机号或密码错误", "Wrong phone number or password"),
    "auth.token_expired": ("登录已过期，请重新登录", "The session has expired, please sign in again"),
    "auth.token_invalid": ("登录凭证无效，请重新登录", "The credential is invalid, please sign in again"),
    "auth.token_revoked": ("该设备已退出登录", "This device has been signed out"),
    "auth.account_inactive": ("账号已停用，请联系管理员", "The account is deactivated; contact your administrator"),
    "auth.rate_limited": ("登录尝试过多，请稍后再试", "Too many sign-in attempts, please try again later"),
    "auth.busy": ("登录的人较多，请稍后再试", "Many people are signing in; please try again in a moment"),
    "auth.forbidden": ("您没有权限进行此操作", "You are not allowed to do this"),
    "not_found": ("未找到该记录", "Not found"),
    "method_not_allowed": ("不支持该请求方法", "Method not allowed"),
    "payload_too_large": ("提交的数据过大", "The request body is too large"),
    "conflict": ("数据冲突", "Conflict"),
    "request.bad_character": (
        "提交的文字含有无法保存的字符（空字符或不成对的代理字符）",
        "The text contains a character that cannot be stored (NUL or an unpaired surrogate)"),
    "request.too_deep": ("提交的数据嵌套层级过深", "The submitted data is nested too deeply"),
    "import.invalid": ("导入数据有误，未导入任何内容", "The import has errors; nothing was imported"),
    "card.invalid": ("责任卡数据有误", "The responsibility card is invalid"),
    "basemap.invalid": ("离线底图（MBTiles 瓦片包）有误，未导入",
                        "The basemap (MBTiles package) is invalid; nothing was imported"),
    "user.invalid": ("用户数据有误", "The user data is invalid"),
    "rule.invalid": ("规则设置有误", "The rule is invalid"),
    "department.invalid": ("责任单位设置有误", "The department is invalid"),
    "patrol.invalid": ("巡河记录有误", "The patrol is invalid"),
    "review.invalid": ("审核操作有误", "The review is invalid"),
    "assessment.bad_period": (
        "考核月份格式应为 YYYY-MM（1900-01 至 2999-12）", "The period must be YYYY-MM (1900-01 to 2999-12)"),
    "assessment.period_open": ("该月尚未结束，不能锁定", "The month has not ended yet; it cannot be locked"),
    "assessment.locked": ("该月考核已锁定", "The month is already locked"),
    "assessment.signoff_invalid": ("乡镇确认有误", "The sign-off is invalid"),
    "assessment.not_locked": ("该月考核尚未锁定", "The month is not locked"),
    "case.invalid": ("案件操作数据有误", "The case step is invalid"),
    "case.bad_transition": ("案件当前状态不允许此操作", "This step is not allowed in the case's current state"),
    "case.forbidden_transition": ("您无权对该案件执行此操作", "You may not take this step on this case"),
    "assessment.correction_decided": ("该更正已处理", "The correction has already been decided"),
    "idempotency.conflict": (
        "该编号已用于内容不同的记录", "This id was already used for a record with different content"),
    "photo.conflict": ("该照片编号已用于另一张照片", "This photo id is already used for another photo"),
    "photo.offset_mismatch": (
        "上传位置不一致，请从服务器记录的位置继续", "Offset mismatch; resume from the server's offset"),
    "photo.chunk_too_large": ("分块过大", "The chunk is too large"),
    "photo.too_large": ("照片文件过大", "The photo file is too large"),
    "photo.checksum_mismatch": ("照片校验失败，请重新上传", "The photo's checksum does not match; upload it again"),
    "photo.invalid_image": ("文件不是有效的照片", "The file is not a valid image"),
    "photo.unsupported_format": ("仅支持 JPEG 和 PNG 照片", "Only JPEG and PNG photos are accepted"),
    "photo.too_many_pixels": ("照片像素过多", "The photo has too many pixels"),
    "photo.not_complete": ("照片尚未上传完成", "The photo upload is not complete"),
    "voice.conflict": ("该语音编号已用于另一段录音", "This voice note id is already used for another recording"),
    "voice.offset_mismatch": (
        "上传位置不一致，请从服务器记录的位置继续", "Offset mismatch; resume from the server's offset"),
    "voice.chunk_too_large": ("分块过大", "The chunk is too large"),
    "voice.too_large": ("录音文件过大", "The recording is too large"),
    "voice.checksum_mismatch": ("录音校验失败，请重新上传", "The recording's checksum does not match; upload it again"),
    "voice.unsupported_format": (
        "仅支持 M4A（AAC）、3GP 和 WAV 录音", "Only M4A (AAC), 3GP and WAV recordings are accepted"),
    "voice.invalid_audio": ("文件不是有效的录音", "The file is not a valid recording"),
    "voice.too_long": ("录音过长（最长 2 分钟）", "The recording is too long (at most 2 minutes)"),
    "voice.not_complete": ("录音尚未上传完成", "The recording's upload is not complete"),
    "photo.storage_full": (
        "服务器照片存储空间已满，照片保留在手机上，稍后自动重传",
        "The server's photo storage is full; the photo stays on the phone and is sent again later"),
    "service.unavailable": (
        "服务暂时不可用，请稍后再试（数据已保留）",
        "The service is briefly unavailable; try again shortly (nothing was lost)"),
    "internal_error": ("服务器内部错误，请稍后再试", "Internal server error, please try again later"),
}

# Reasons attached to individual bad features of an import (field ``reason``).
IMPORT_REASONS: dict[str, tuple[str, str]] = {
    "not_feature_collection": ("文件不是 GeoJSON FeatureCollection", "Not a GeoJSON FeatureCollection"),
    "wrong_crs": ("坐标系不是 WGS84 (EPSG:4326)", "The coordinate system is not WGS84 (EPSG:4326)"),
    "coordinates_out_of_range": (
        "坐标超出经纬度范围（可能是投影坐标）",
        "Coordinates out of longitude/latitude range (projected coordinates?)",
    ),
    "missing_field": ("缺少必填属性", "A required property is missing"),
    "bad_code": ("编码只能包含字母、数字、- 和 _", "Codes may contain only letters, digits, - and _"),
    "duplicate_code": ("编码在文件中重复", "The code appears more than once in the file"),
    "code_exists": ("编码已被使用", "The code is already in use"),
    "unknown_level": ("未知的网格层级", "Unknown grid level"),
    "level_order": ("层级必须低于上级网格", "The level must be below the parent's level"),
    "unknown_parent": ("上级网格不存在或不在您的管辖范围", "The parent grid does not exist or is outside your scope"),
    "unknown_grid": ("所属网格不存在或不在您的管辖范围", "The grid does not exist or is outside your scope"),
    "missing_geometry": ("缺少几何图形", "The geometry is missing"),
    "wrong_geometry_type": ("几何类型不正确", "Wrong geometry type"),
    "bad_geometry": ("几何图形无法解析", "The geometry cannot be parsed"),
    "invalid_geometry": ("几何图形无效", "The geometry is invalid"),
    "empty_geometry": ("几何图形为空", "The geometry is empty"),
    "too_short": ("河段过短", "The segment is too short"),
    "too_long": ("文字过长", "The text is too long"),
    "bad_value": ("取值无效", "The value is not allowed"),
    "outside_grid": ("河段不在所属网格范围内", "The segment lies outside its grid"),
    "outside_parent": ("网格超出上级网格范围", "The grid reaches outside its parent"),
    "overlaps_sibling": ("网格与同级网格重叠", "The grid overlaps another grid of the same level and parent"),
    "too_deep": ("上级网格层级过多", "The chain of parent grids is deeper than the configured levels"),
    "river_name_conflict": ("河流编码已用于另一名称", "The river code is already used with another name"),
    "too_many_features": ("要素过多，请分成几个文件导入", "Too many features; split the file"),
    # the file itself (field "file"): what was uploaded is not a file we read
    "missing_file": ("请选择文件", "Choose a file"),
    "unsupported_format": ("仅支持 GeoJSON、KML 或压缩的 Shapefile（.zip）", "GeoJSON, KML or a zipped Shapefile only"),
    "not_geojson": ("文件不是有效的 GeoJSON", "Not a valid GeoJSON file"),
    "not_kml": ("文件不是可识别的 KML", "Not a KML file we can read"),
    "bad_coordinates": ("KML 中的坐标无法读取", "The KML's coordinates cannot be read"),
    "not_zip": ("压缩文件已损坏或不是 zip 文件", "The zip file is damaged or not a zip file"),
    "zip_member_not_allowed": ("压缩包中只能有 Shapefile 的 .shp、.shx、.dbf、.prj、.cpg 文件",
                               "The zip may hold only a Shapefile's .shp, .shx, .dbf, .prj and .cpg files"),
    "zip_member_path": ("压缩包中的文件路径不允许", "A path in the zip is not allowed"),
    "zip_link": ("压缩包中不能有链接", "The zip may not hold links"),
    "zip_too_many_members": ("压缩包中的文件过多", "The zip holds too many files"),
    "zip_too_large": ("压缩包解压后过大", "The zip's contents are too large"),
    "zip_unsupported": ("压缩包已加密或使用了不支持的压缩方式",
                        "The zip is encrypted or uses an unsupported compression"),
    "one_shapefile": ("压缩包中应恰有一个 Shapefile（.shp 及同名的 .shx、.dbf）",
                      "The zip must hold exactly one Shapefile (.shp with its .shx and .dbf)"),
    "not_shapefile": ("Shapefile 已损坏或无法读取", "The Shapefile is damaged or cannot be read"),
    "too_complex": ("图形过于复杂（环过多），请简化后导入", "A shape is too complex (too many rings); simplify it"),
    "too_many_points": ("坐标点过多，请简化或分成几个文件导入", "Too many coordinates; simplify or split the file"),
    "unreadable": ("无法读取该文件（文件已损坏或过于复杂）", "The file cannot be read (damaged or too complex)"),
}


def message(code: str) -> tuple[str, str]:
    """Chinese and English message for an error code."""
    return MESSAGES.get(code, MESSAGES["bad_request"])
