// Fuzzes the `image` splicer of `rewrite` (rewrite_records_in: the code
// rewrite_records runs, writing to memory). Invariants, for input the scanner
// accepts (and an Error otherwise, naming the input):
// - identity (no prefix, no store), in batches of a few bytes: the output is
//   the input byte for byte;
// - a prefix: the output scans, with the same records; each image that is a
//   safe path becomes prefix + image, every other image stays, and every byte
//   outside the rewritten values is unchanged;
// - --drop-missing with no store holding anything: the output scans, and holds
//   exactly the records without a safe image path, byte for byte, in order.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/image_store.h"
#include "core/rewrite.h"
#include "fuzz_check.h"

namespace {

struct Rec {
  std::string text;      // the record's bytes
  std::string skeleton;  // the bytes before and after its image string
  lv::ImageKind kind;
  std::string image;
};

struct Scanned {
  bool ok = false;
  std::string error;
  std::vector<Rec> records;
  std::string skeleton;  // the whole text without the image strings
};

Scanned scan(std::string_view text) {
  Scanned s;
  std::uint64_t cut = 0;  // the skeleton holds the text up to here
  auto status = lv::scan_records_in(text, "fuzz.json", lv::ScanOptions{}, [&](const lv::RecordBatch& b) {
    for (const auto& r : b.records) {
      Rec rec{std::string(text.substr(r.begin, r.end - r.begin)), {}, r.image_kind, std::string(r.image)};
      if (r.image_kind == lv::ImageKind::string) {
        rec.skeleton = std::string(text.substr(r.begin, r.image_begin - r.begin)) +
                       std::string(text.substr(r.image_end, r.end - r.image_end));
        s.skeleton.append(text.substr(cut, r.image_begin - cut));
        cut = r.image_end;
      }
      s.records.push_back(std::move(rec));
    }
    return lv::Status{};
  });
  s.ok = status.ok();
  if (!s.ok) s.error = status.error().message;
  s.skeleton.append(text.substr(cut));
  return s;
}

bool safe_image(const Rec& r) { return r.kind == lv::ImageKind::string && lv::image_path_problem(r.image).empty(); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = lv_fuzz::as_text(data, size);
  const Scanned in = scan(text);

  // Identity, small batches (the separator carried from one batch to the next).
  lv::RewriteOptions identity;
  identity.scan.batch_bytes = 1 + size % 29;
  std::string out;
  auto stats = lv::rewrite_records_in(text, "fuzz.json", identity, out);
  LV_FUZZ_CHECK(stats.ok() == in.ok, stats.ok() ? in.error : stats.error().message);
  if (!in.ok) {
    LV_FUZZ_CHECK(stats.error().message.starts_with("fuzz.json: "), stats.error().message);
    return 0;
  }
  LV_FUZZ_CHECK(out == text, "an identity rewrite gives the input back");
  LV_FUZZ_CHECK(stats->rewritten == 0 && stats->dropped == 0 && stats->records == in.records.size(), "");

  // A prefix.
  lv::RewriteOptions prefixed;
  prefixed.prefix = "data/\xC3\xA9/";  // "data/é/"
  prefixed.scan.batch_bytes = 1 + size % 13;
  out.clear();
  stats = lv::rewrite_records_in(text, "fuzz.json", prefixed, out);
  LV_FUZZ_CHECK(stats.ok(), stats.ok() ? "" : stats.error().message);
  const Scanned p = scan(out);
  LV_FUZZ_CHECK(p.ok, p.error + "\n" + out);
  LV_FUZZ_CHECK(p.records.size() == in.records.size(), out);
  LV_FUZZ_CHECK(p.skeleton == in.skeleton, out);
  std::uint64_t rewritten = 0;
  for (std::size_t i = 0; i < in.records.size(); ++i) {
    const Rec& a = in.records[i];
    const Rec& b = p.records[i];
    LV_FUZZ_CHECK(a.kind == b.kind, out);
    if (safe_image(a)) {
      LV_FUZZ_CHECK(b.image == prefixed.prefix + a.image, out);
      ++rewritten;
    } else {
      LV_FUZZ_CHECK(a.text == b.text, out);
    }
  }
  LV_FUZZ_CHECK(stats->rewritten == rewritten, out);

  // --drop-missing against a store list that has nothing.
  const std::vector<std::unique_ptr<lv::ImageStore>> no_stores;
  lv::RewriteOptions drop;
  drop.stores = &no_stores;
  drop.drop_missing = true;
  drop.scan.batch_bytes = 1 + size % 7;
  out.clear();
  stats = lv::rewrite_records_in(text, "fuzz.json", drop, out);
  LV_FUZZ_CHECK(stats.ok(), stats.ok() ? "" : stats.error().message);
  const Scanned d = scan(out);
  LV_FUZZ_CHECK(d.ok, d.error + "\n" + out);
  std::size_t k = 0;
  for (const Rec& a : in.records) {
    if (safe_image(a)) continue;
    LV_FUZZ_CHECK(k < d.records.size() && d.records[k].text == a.text, out);
    ++k;
  }
  LV_FUZZ_CHECK(k == d.records.size(), out);
  LV_FUZZ_CHECK(stats->dropped == in.records.size() - k, out);
  return 0;
}
