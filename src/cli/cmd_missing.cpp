// `llava-verify missing`: the images a record file references that are not on disk.
#include <fmt/format.h>

#include <optional>
#include <atomic>
#include <thread>

#include "cli/commands.h"
#include "cli/console.h"
#include "core/fs.h"
#include "core/missing_report.h"
#include "core/names.h"
#include "core/version.h"

namespace lv::cli {
namespace {

Result<std::vector<std::unique_ptr<ImageStore>>> open_stores(const std::vector<std::string>& specs,
                                                             const StoreOptions& options) {
  std::vector<std::unique_ptr<ImageStore>> stores;
  for (const auto& spec : specs) {
    auto store = open_store(spec, options);
    if (!store) return store.error();
    stores.push_back(std::move(store.value()));
  }
  return stores;
}

}  // namespace

bool load_meta_or_say_why(const std::string& path, MetaIndex& meta) {
  auto loaded = load_meta(path);
  if (!loaded) {
    diag(loaded.error().message);
    return false;
  }
  meta = std::move(loaded.value());
  std::vector<std::string> problems;
  if (meta.repeated_images > 0) {
    problems.push_back(fmt::format("{} records repeat an image named before: the first record is used", meta.repeated_images));
  }
  if (meta.shared_urls > 0) {
    problems.push_back(fmt::format("{} records repeat a URL named before: the first record is used", meta.shared_urls));
  }
  warn_problems(quote_name(path), problems);
  return true;
}

namespace {

std::string percent(double fraction) { return fmt::format("{:.2f}%", fraction * 100.0); }

// The command that restores what a zip store given can restore into the first
// folder store: missing, empty, damaged and corrupt images the archive holds.
std::string repair_command(const MissingCommandOptions& o, const MissingReport& report, const StoreList& stores,
                           std::uint64_t& restorable) {
  const ImageStore* folder = nullptr;
  const ImageStore* archive = nullptr;
  for (const auto& st : stores) {
    if (st->kind() == StoreKind::folder && folder == nullptr) folder = st.get();
    if (st->kind() == StoreKind::zip && archive == nullptr) archive = st.get();
  }
  restorable = 0;
  if (folder == nullptr || archive == nullptr) return {};
  for (const auto& image : report.missing_images) restorable += archive->find(image, {}) ? 1 : 0;
  if (restorable == 0) return {};
  const DeepLevel level = deep_level(o.deep);
  return fmt::format("llava-verify extract {} --dest {} --records {} --only-missing{}", quote_name(archive->location()),
                     quote_name(folder->location()), quote_name(o.records),
                     report.summary.corrupt == 0           ? ""
                     : level == DeepLevel::decode ? " --deep=decode"
                                                  : " --deep");
}

void print_summary(const MissingCommandOptions& o, const MissingReport& report, const StoreList& stores) {
  const std::string& records = o.records;
  const MissingSummary& s = report.summary;
  std::string text;
  text += fmt::format("{}: {} records, {} with an image, {} without (text-only), {} invalid\n", records, s.records,
                      s.with_image, s.without_image, s.invalid);
  text += fmt::format("distinct images: {} ({} records repeat an image, {} repeat an id)\n", s.distinct_images,
                      s.duplicate_images, s.duplicate_ids);
  for (std::size_t i = 0; i < stores.size(); ++i) {
    text += fmt::format("  found in {} {}: {}\n", store_kind_name(stores[i]->kind()), stores[i]->location(), s.per_store[i]);
  }
  text += fmt::format("present: {}\n", s.present);
  text += fmt::format("missing: {}\n", s.missing);
  if (s.empty) text += fmt::format("empty: {}\n", s.empty);
  if (s.corrupt) text += fmt::format("corrupt: {}\n", s.corrupt);
  if (s.damaged) text += fmt::format("damaged (differ from the archive): {}\n", s.damaged);
  if (s.other_extension) text += fmt::format("under another extension: {}\n", s.other_extension);
  text += fmt::format("missing fraction: {} ({} of {} distinct images unusable)\n", percent(s.missing_fraction()),
                      s.unusable(), s.distinct_images);
  if (s.compared_with_archive > 0) text += fmt::format("same as their archive entry: {} of {} compared\n", s.compared_with_archive - s.damaged, s.compared_with_archive);
  if (s.content_differs_from_extension > 0) {
    text += fmt::format("content in another format than the extension says (they load): {}\n", s.content_differs_from_extension);
  }
  if (s.other_extension > 0 && !o.stores.empty()) {
    text += fmt::format("{} images are there under another extension (X.gif for X.jpg); to point the records at them:\n"
                        "  llava-verify rewrite {} --images {} --fix-extensions -o FIXED.json\n",
                        s.other_extension, quote_name(o.records), quote_name(o.stores.front()));
  }
  std::uint64_t restorable = 0;
  if (auto cmd = repair_command(o, report, stores, restorable); !cmd.empty()) {
    text += fmt::format("the archive holds {} of the {} unusable images; to restore them:\n  {}\n", restorable, s.unusable(), cmd);
  }
  out(text);
  for (const auto& w : report.warnings) diag(fmt::format("warning: {}: {}", quote_name(w.image), w.detail));
}

}  // namespace

int run_missing(const MissingCommandOptions& o) {
  if (o.row_keys) {
    diag("warning: --row-keys maps GCC_train_N to img2dataset key N; this rule is not established, and is off by "
         "one when the input had a header line that img2dataset was not told about");
  }
  const unsigned jobs = o.jobs ? o.jobs : default_jobs();
  // The stores are listed on a thread while the record file is scanned.
  std::optional<Result<StoreList>> stores;
  std::atomic<bool> listed{false};
  std::thread lister([&] {
    stores.emplace(open_stores(o.stores, StoreOptions{o.row_keys, jobs, !o.no_size_check, {}}));
    listed.store(true, std::memory_order_release);
  });
  struct Joiner {
    std::thread& t;
    ~Joiner() {
      if (t.joinable()) t.join();
    }
  } joiner{lister};
  auto stores_ready = [&](bool wait) -> Result<const StoreList*> {
    if (!wait && !listed.load(std::memory_order_acquire)) return static_cast<const StoreList*>(nullptr);
    if (lister.joinable()) lister.join();
    if (!stores->ok()) return stores->error();
    return &stores->value();
  };
  MetaIndex meta;
  if (!o.meta.empty() && !load_meta_or_say_why(o.meta, meta)) return kExitError;
  MissingOptions options;
  options.deep = deep_level(o.deep);
  options.archive_compare = !o.no_archive_compare;
  options.allow_absolute = o.allow_absolute;
  options.jobs = jobs;
  auto report = find_missing(o.records, stores_ready, o.meta.empty() ? nullptr : &meta, options);
  if (!report) {
    diag(report.error().message);
    return kExitError;
  }
  if (lister.joinable()) lister.join();
  const StoreList& store_list = stores->value();
  for (const auto& store : store_list) warn_problems(quote_name(store->location()), store->problems());
  const bool json_to_stdout = o.json == "-";
  if (!json_to_stdout) print_summary(o, report.value(), store_list);
  // The invalid values by record index and id: the first few; the JSON report has them all.
  constexpr std::uint64_t kShownInvalid = 10;
  std::uint64_t shown = 0;
  for (const auto& r : report->records) {
    if (r.state != ImageState::invalid || shown++ >= kShownInvalid) continue;
    diag(fmt::format("{}: record {}{}: {}", quote_name(o.records), r.index,
                     r.id.empty() ? std::string() : fmt::format(" (id {})", quote_name(r.id)), r.detail));
  }
  if (shown > kShownInvalid) {
    diag(fmt::format("{}: ... and {} more records with an invalid 'image' value: see --json", quote_name(o.records),
                     shown - kShownInvalid));
  }
  const MissingReportInfo info{kVersion, o.records, o.meta, &store_list, deep_level(o.deep)};
  const std::string csv = o.csv.empty() ? std::string() : render_missing_csv(report.value());
  const std::string list = o.list.empty() ? std::string() : render_missing_list(report.value());
  const std::string json = o.json.empty() ? std::string() : render_missing_json(report.value(), info);
  std::vector<std::pair<std::string, std::string_view>> outputs;
  if (!o.csv.empty()) outputs.emplace_back(o.csv, csv);
  if (!o.list.empty()) outputs.emplace_back(o.list, list);
  if (!o.json.empty()) outputs.emplace_back(o.json, json);
  const bool written = write_outputs(outputs);
  flush_out();
  if (!written) return kExitError;
  const MissingSummary& s = report->summary;
  const bool over = o.max_missing_fraction ? s.missing_fraction() > *o.max_missing_fraction
                                           : (s.unusable()) > 0;
  if (over && o.max_missing_fraction) {
    diag(fmt::format("missing fraction {} is above the limit {}", percent(s.missing_fraction()),
                     percent(*o.max_missing_fraction)));
  }
  return (over || s.invalid > 0) ? kExitFindings : kExitOk;
}

}  // namespace lv::cli
