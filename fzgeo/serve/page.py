"""The check page: one self-contained HTML document (no external request), Chinese, phone and desktop.

The planner drops or picks a site file, may choose own rules and advanced reading options, and
presses 开始检查. The page uploads the file (upload progress), polls the job's status (phases),
then shows the counts, the 示意 notice, skipped rules, warnings, the verdict table (the rows of
``report.csv``), the downloads and the conflicts map (an offline map in a frame). A refused file
shows the code and the command line's message. Every text from the server is put in with
``textContent``, never as HTML.
"""

from __future__ import annotations

import html

#: The formats the page names (what ``fzgeo check`` reads).
FORMATS_ZH = (
    "压缩的 Shapefile（.zip，含 .shp/.shx/.dbf/.prj）",
    "GeoPackage（.gpkg）",
    "GeoJSON（.geojson/.json）",
    "CSV（经纬度或 WKT）",
    "界址点坐标表（.xlsx/.csv）",
    "报部格式坐标文件（.txt）",
)
ACCEPT = ".zip,.gpkg,.geojson,.json,.csv,.xlsx,.txt,.fgb,.parquet"

_CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;
 color:#1f2933;background:#f3f5f7;font-size:16px;line-height:1.5}
header{background:#1d4e89;color:#fff;padding:12px 16px}
header h1{margin:0;font-size:20px}
header nav{margin-top:4px;font-size:14px}
header nav a{color:#dbe9ff;margin-right:14px}
main{max-width:1100px;margin:0 auto;padding:12px}
section{background:#fff;border-radius:8px;padding:14px;margin-bottom:12px;
 box-shadow:0 1px 3px rgba(0,0,0,.12)}
h2{font-size:17px;margin:0 0 10px}
#drop{display:block;border:2px dashed #7a8ea8;border-radius:8px;padding:22px 12px;
 text-align:center;cursor:pointer;background:#f8fafc}
#drop.over{background:#e3efff;border-color:#1d4e89}
#drop strong{font-size:17px;color:#1d4e89}
#sites{position:absolute;left:-9999px;width:1px;height:1px;opacity:0}
#chosen{margin-top:6px;font-weight:bold;word-break:break-all}
ul.formats{margin:8px 0 0;padding-left:20px;font-size:14px;color:#52606d;text-align:left}
fieldset{border:1px solid #d0d7de;border-radius:6px;margin:10px 0;padding:8px 10px}
legend{font-size:15px;padding:0 4px}
label.opt{display:block;margin:4px 0}
details{margin:10px 0}
details .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:8px}
details input[type=text],details select{width:100%;padding:6px;font-size:15px}
button#start{width:100%;padding:12px;font-size:18px;background:#1d4e89;color:#fff;border:0;
 border-radius:6px;cursor:pointer;margin-top:6px}
button#start:disabled{background:#8a9bb3;cursor:default}
progress{width:100%;height:18px}
#phase{font-weight:bold}
.error{border-left:6px solid #c62828;background:#fdecea}
.error .code{font-family:monospace;font-weight:bold;color:#c62828}
.message{font-family:monospace;white-space:pre-wrap;word-break:break-word;font-size:14px}
.notice{background:#fff3cd;border:2px solid #c62828;color:#7f0000;font-weight:bold;
 padding:8px;margin-bottom:8px}
.counts{display:flex;flex-wrap:wrap;gap:8px}
.count{flex:1 1 120px;border-radius:6px;padding:8px;text-align:center;color:#fff}
.count b{display:block;font-size:26px}
.c-conflict{background:#c62828}.c-near{background:#e08a00}.c-clear{background:#2e7d32}
.c-unchecked{background:#6b7280}
.tablebox{overflow-x:auto;max-width:100%;border:1px solid #d0d7de}
table{border-collapse:collapse;font-size:14px;white-space:nowrap}
th,td{border:1px solid #d0d7de;padding:4px 6px;text-align:left}
th{background:#eef2f6;position:sticky;top:0}
td.v-冲突{background:#fdecea;color:#b71c1c;font-weight:bold}
td.v-邻近{background:#fff4e0;color:#9a5b00;font-weight:bold}
td.v-无冲突{color:#1b5e20}
ul.downloads{padding-left:20px}
ul.downloads li{margin:4px 0}
iframe{width:100%;height:520px;border:1px solid #d0d7de;border-radius:6px}
.muted{color:#52606d;font-size:14px}
[hidden]{display:none !important}
@media (max-width:600px){
 header h1{font-size:17px}
 main{padding:8px}
 section{padding:10px}
 iframe{height:380px}
}
"""

_JS = r"""
(function () {
  "use strict";
  var form = document.getElementById("form"), input = document.getElementById("sites");
  var drop = document.getElementById("drop"), chosen = document.getElementById("chosen");
  var start = document.getElementById("start"), file = null;
  var VERDICTS = [["冲突", "c-conflict"], ["邻近", "c-near"], ["无冲突", "c-clear"], ["无法检查", "c-unchecked"]];
  var SUBJECT = {"1": "坐标系问题", "2": "图层结构问题", "3": "文件问题", "4": "坐标或几何问题",
    "5": "内置数据问题", "6": "规则或设置问题", "7": "数据库问题", "8": "上传或服务问题", "0": "内部错误"};
  function $(id) { return document.getElementById(id); }
  function show(id, on) { $(id).hidden = !on; }
  function choose(f) {
    file = f || null;
    var size = file ? (file.size < 1048576 ? Math.max(1, Math.round(file.size / 1024)) + " KB" : (file.size / 1048576).toFixed(1) + " MB") : "";
    chosen.textContent = file ? "已选择：" + file.name + "（" + size + "）" : "";
    start.disabled = !file;
  }
  input.addEventListener("change", function () { choose(input.files[0]); });
  ["dragenter", "dragover"].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length) { choose(e.dataTransfer.files[0]); }
  });
  document.querySelectorAll("input[name=rules]").forEach(function (r) {
    r.addEventListener("change", function () { show("rulesbox", $("rules-custom").checked); });
  });
  function fail(err) {
    show("progress", false); show("result", false); show("failure", true);
    var code = (err && err.code) || "FZ000";
    $("err-code").textContent = code;
    $("err-subject").textContent = SUBJECT[code.charAt(2)] || "错误";
    $("err-message").textContent = (err && err.message) || "检查未完成";
    start.disabled = !file;
    $("failure").scrollIntoView();
  }
  function phase(status) {
    $("phase").textContent = status.phase || "";
    if (typeof status.step === "number") { $("bar").max = 6; $("bar").value = status.step + 1; }
  }
  function cell(tr, text, tag) {
    var c = document.createElement(tag || "td"); c.textContent = text; tr.appendChild(c); return c;
  }
  function render(id, s) {
    show("progress", false); show("failure", false); show("result", true);
    $("notice").textContent = s.notice || ""; show("notice", !!s.notice);
    var counts = $("counts"); counts.textContent = "";
    VERDICTS.forEach(function (v) {
      var n = s.counts[v[0]] || 0;
      if (v[0] === "无法检查" && !n) { return; }
      var d = document.createElement("div"); d.className = "count " + v[1];
      var b = document.createElement("b"); b.textContent = n; d.appendChild(b);
      d.appendChild(document.createTextNode(v[0])); counts.appendChild(d);
    });
    var extra = [];
    extra.push("共 " + s.counts.sites + " 个项目" + (s.counts.duplicates ? "（另有 " + s.counts.duplicates + " 个重复地块只计一次）" : ""));
    if (s.repaired) { extra.push("修复了 " + s.repaired + " 个无效几何（make_valid）"); }
    Object.keys(s.skipped || {}).forEach(function (k) { extra.push("未检查规则 " + k + "：" + s.skipped[k]); });
    (s.warnings || []).forEach(function (w) { extra.push("提示：" + w); });
    var ul = $("remarks"); ul.textContent = "";
    extra.forEach(function (t) { var li = document.createElement("li"); li.textContent = t; ul.appendChild(li); });
    var table = $("verdicts"); table.textContent = "";
    // the verdict first: 序号, 综合结论, 触及规则, then the columns of report.csv in order
    var cols = s.table.columns, first = ["序号", "综合结论", "触及规则"];
    var order = first.map(function (c) { return cols.indexOf(c); }).filter(function (i) { return i >= 0; });
    cols.forEach(function (c, i) { if (order.indexOf(i) < 0) { order.push(i); } });
    var head = document.createElement("tr"), vcol = cols.indexOf("综合结论");
    order.forEach(function (i) { cell(head, cols[i], "th"); });
    var thead = document.createElement("thead"); thead.appendChild(head); table.appendChild(thead);
    var body = document.createElement("tbody");
    s.table.rows.forEach(function (row) {
      var tr = document.createElement("tr");
      order.forEach(function (i) { var c = cell(tr, row[i]); if (i === vcol) { c.className = "v-" + row[i]; } });
      body.appendChild(tr);
    });
    table.appendChild(body);
    var dl = $("downloads"); dl.textContent = "";
    s.downloads.forEach(function (d) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = "jobs/" + id + "/files/" + encodeURIComponent(d.file);
      a.textContent = d.label; a.setAttribute("data-file", d.file);
      if (!/\.html$/.test(d.file)) { a.setAttribute("download", d.file); } else { a.target = "_blank"; a.rel = "noopener"; }
      li.appendChild(a); dl.appendChild(li);
    });
    $("map").src = "jobs/" + id + "/files/conflicts_map.html";
    document.documentElement.setAttribute("data-job", id);
    document.documentElement.setAttribute("data-state", "done");
    start.disabled = !file;
    $("result").scrollIntoView();
  }
  function poll(id) {
    fetch("api/jobs/" + id, {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (s) {
      if (s.error && !s.state) { fail(s.error); return; }
      if (s.state === "done") { render(id, s); return; }
      if (s.state === "error") { document.documentElement.setAttribute("data-state", "error"); fail(s.error); return; }
      phase(s); setTimeout(function () { poll(id); }, 400);
    }).catch(function () { setTimeout(function () { poll(id); }, 1000); });
  }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!file) { return; }
    var data = new FormData(form);
    data.set("sites", file, file.name);
    start.disabled = true;
    document.documentElement.setAttribute("data-state", "running");
    show("failure", false); show("result", false); show("progress", true);
    $("phase").textContent = "上传中"; $("bar").max = 100; $("bar").value = 0;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "api/jobs");
    xhr.upload.onprogress = function (ev) {
      if (ev.lengthComputable) { $("bar").value = Math.round(100 * ev.loaded / ev.total); $("phase").textContent = "上传中 " + $("bar").value + "%"; }
    };
    xhr.onload = function () {
      var reply = null;
      try { reply = JSON.parse(xhr.responseText); } catch (err) { reply = null; }
      if (xhr.status === 202 && reply && reply.id) { poll(reply.id); return; }
      document.documentElement.setAttribute("data-state", "error");
      fail(reply && reply.error ? reply.error : {code: "FZ000", message: "服务器拒绝了上传（HTTP " + xhr.status + "）"});
    };
    xhr.onerror = function () {
      document.documentElement.setAttribute("data-state", "error");
      fail({code: "FZ800", message: "上传中断：文件可能超过服务器的上限，或网络断开"});
    };
    xhr.send(data);
  });
  document.documentElement.setAttribute("data-ready", "1");
})();
"""


def render(*, engine: str, max_upload_mb: float, keep_hours: float, ogc: str) -> str:
    """The page's HTML."""
    formats = "".join(f"<li>{html.escape(f)}</li>" for f in FORMATS_ZH)
    engine_zh = "PostGIS 数据库" if engine == "postgis" else "本机"
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>建设项目选址合规性检查 · 抚州市</title>
<style>{_CSS}</style></head>
<body>
<header><h1>建设项目选址合规性检查（三区三线）</h1>
<nav><a href="maps/">规划地图</a><a href="{html.escape(ogc)}">图层服务（OGC API）</a>
<a href="raster/control.tif" download>管控栅格（COG）</a></nav></header>
<main>
<section>
<form id="form" autocomplete="off">
<h2>1. 选择项目用地文件</h2>
<label id="drop" for="sites"><strong>将项目文件拖到这里，或点击选择文件</strong>
<input id="sites" name="sites" type="file" accept="{ACCEPT}">
<div id="chosen"></div>
<ul class="formats">{formats}</ul></label>
<p class="muted">单个文件不超过 {max_upload_mb:,.0f} MB；Shapefile 请连同 .shx/.dbf/.prj 打包成 .zip。
上传的文件和检查结果保存 {keep_hours:g} 小时后自动删除。计算位置：{engine_zh}。</p>
<fieldset><legend>2. 检查规则</legend>
<label class="opt"><input type="radio" name="rules" value="default" id="rules-default" checked>
默认规则（生态保护红线、永久基本农田、城镇开发边界、抚河 1 公里管控带）</label>
<label class="opt"><input type="radio" name="rules" value="custom" id="rules-custom">
自定义规则文件（YAML，格式见 docs/check.md）</label>
<div id="rulesbox" hidden><input type="file" name="rules_file" id="rules_file" accept=".yaml,.yml"></div>
</fieldset>
<details><summary>高级选项（读取方式）</summary><div class="grid">
<label>图层名（多图层文件）<input type="text" name="layer" id="layer"></label>
<label>坐标系（文件未声明时，如 EPSG:4527）<input type="text" name="assume_crs" id="assume_crs"></label>
<label>属性编码（如 gbk、utf-8）<input type="text" name="encoding" id="encoding"></label>
<label>坐标来源<select name="input_coords" id="input_coords"><option value="">CGCS2000/WGS84（默认）</option>
<option value="gcj02">高德/腾讯地图拾取（GCJ-02）</option><option value="bd09">百度地图拾取（BD-09）</option>
<option value="wgs84">经纬度未偏移（WGS84）</option></select></label>
<label class="opt"><input type="checkbox" name="allow_outside" value="1" id="allow_outside"> 项目确在抚州市外，仍出报告</label>
</div></details>
<button id="start" type="submit" disabled>开始检查</button>
</form>
</section>
<section id="progress" hidden><h2>检查进度</h2><div id="phase"></div><progress id="bar" max="100" value="0"></progress></section>
<section id="failure" class="error" hidden><h2>无法完成检查：<span id="err-subject"></span>
（<span class="code" id="err-code"></span>）</h2><div class="message" id="err-message"></div>
<p class="muted">错误代码与命令行 fzgeo check 相同，说明见 docs/input.md。修改文件或选项后可重新上传。</p></section>
<section id="result" hidden><h2>检查结果</h2>
<div class="notice" id="notice" hidden></div>
<div class="counts" id="counts"></div><ul id="remarks" class="muted"></ul>
<h2>逐项目结论</h2><div class="tablebox"><table id="verdicts"></table></div>
<h2>下载</h2><ul class="downloads" id="downloads"></ul>
<h2>冲突地图</h2><iframe id="map" title="冲突地图"></iframe>
</section>
</main>
<script>{_JS}</script>
</body></html>
"""
