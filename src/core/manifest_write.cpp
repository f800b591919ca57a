#include "core/manifest_write.h"

#include <fmt/format.h>

#include "core/json_writer.h"
#include "core/names.h"

namespace lv {
namespace {

const Digest* find_digest(const HashedFile& f, Algorithm a) {
  for (const auto& d : f.digests) {
    if (d.algorithm == a) return &d;
  }
  return nullptr;
}

std::string gnu_line(const HashedFile& f, Algorithm a) {
  const Digest* d = find_digest(f, a);
  if (name_needs_escape(f.name)) return fmt::format("\\{}  {}\n", d->hex(), escape_name(f.name));
  return fmt::format("{}  {}\n", d->hex(), f.name);
}

std::string bsd_line(const HashedFile& f, Algorithm a) {
  const Digest* d = find_digest(f, a);
  if (name_needs_escape(f.name)) return fmt::format("\\{} ({}) = {}\n", algorithm_tag(a), escape_name(f.name), d->hex());
  return fmt::format("{} ({}) = {}\n", algorithm_tag(a), f.name, d->hex());
}

Result<std::string> hashdeep(const std::vector<Algorithm>& algorithms, const std::vector<HashedFile>& files) {
  // hashdeep's own column order.
  std::vector<Algorithm> columns;
  for (Algorithm a : {Algorithm::md5, Algorithm::sha1, Algorithm::sha256}) {
    for (Algorithm want : algorithms) {
      if (want == a) columns.push_back(a);
    }
  }
  for (Algorithm want : algorithms) {
    if (want == Algorithm::sha512 || want == Algorithm::blake2b) {
      return Error{fmt::format("the hashdeep format has no {} column", algorithm_name(want))};
    }
  }
  std::string out = "%%%% HASHDEEP-1.0\n%%%% size";
  for (Algorithm a : columns) out += fmt::format(",{}", algorithm_name(a));
  out += ",filename\n## Written by llava-verify manifest create\n##\n";
  for (const auto& f : files) {
    if (f.name.find_first_of("\n\r") != std::string::npos) {
      return Error{fmt::format("{}: the hashdeep format cannot hold a name with a line break", quote_name(f.name))};
    }
    out += fmt::format("{}", f.size);
    for (Algorithm a : columns) out += fmt::format(",{}", find_digest(f, a)->hex());
    out += fmt::format(",{}\n", f.name);
  }
  return out;
}

std::string json(const std::vector<Algorithm>& algorithms, const std::vector<HashedFile>& files) {
  JsonWriter w;
  w.begin_object();
  w.key("format");
  w.value("llava-verify-manifest/1");
  w.key("files");
  w.begin_array();
  for (const auto& f : files) {
    w.begin_object();
    if (is_valid_utf8(f.name)) {
      w.key("path");
      w.value(f.name);
    } else {
      w.key("path_hex");
      w.value(to_hex(reinterpret_cast<const std::uint8_t*>(f.name.data()), f.name.size()));
    }
    w.key("size");
    w.value(f.size);
    if (f.crc32) {
      w.key("crc32");
      w.value(fmt::format("{:08x}", *f.crc32));
    }
    for (Algorithm a : algorithms) {
      w.key(algorithm_name(a));
      w.value(find_digest(f, a)->hex());
    }
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.finish();
}

}  // namespace

Result<std::string> render_manifest(ManifestFormat format, const std::vector<Algorithm>& algorithms,
                                    const std::vector<HashedFile>& files) {
  if (algorithms.empty()) return Error{"no algorithm given"};
  switch (format) {
    case ManifestFormat::gnu: {
      if (algorithms.size() != 1) {
        return Error{"the sha256sum format holds one algorithm; use --format bsd, hashdeep or json for several"};
      }
      std::string out;
      for (const auto& f : files) out += gnu_line(f, algorithms.front());
      return out;
    }
    case ManifestFormat::bsd: {
      std::string out;
      for (const auto& f : files) {
        for (Algorithm a : algorithms) out += bsd_line(f, a);
      }
      return out;
    }
    case ManifestFormat::hashdeep: return hashdeep(algorithms, files);
    case ManifestFormat::json: return json(algorithms, files);
  }
  return Error{"unknown format"};
}

std::string render_manifest_document(const Manifest& m) {
  JsonWriter w;
  w.begin_object();
  w.key("format");
  w.value("llava-verify-manifest/1");
  if (m.source) {
    w.key("source");
    w.begin_object();
    w.key("repository"); w.value(m.source->repository);
    w.key("revision"); w.value(m.source->revision);
    w.key("url"); w.value(m.source->url);
    w.end_object();
  }
  w.key("files");
  w.begin_array();
  for (const auto& e : m.entries) {
    w.begin_object();
    if (is_valid_utf8(e.path)) {
      w.key("path"); w.value(e.path);
    } else {
      w.key("path_hex"); w.value(to_hex(reinterpret_cast<const std::uint8_t*>(e.path.data()), e.path.size()));
    }
    w.key("size");
    if (e.size) w.value(*e.size); else w.null();
    if (e.crc32) {
      w.key("crc32"); w.value(fmt::format("{:08x}", *e.crc32));
    }
    bool sha256 = false;
    for (const Digest& d : e.digests) {
      w.key(algorithm_name(d.algorithm)); w.value(d.hex());
      sha256 = sha256 || d.algorithm == Algorithm::sha256;
    }
    if (!sha256) {
      w.key("sha256"); w.null();
    }
    if (!e.url.empty()) {
      w.key("url"); w.value(e.url);
    }
    if (!e.note.empty()) {
      w.key("note"); w.value(e.note);
    }
    if (e.unconfirmed) {
      w.key("unconfirmed"); w.value(true);
    }
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.finish();
}

}  // namespace lv
