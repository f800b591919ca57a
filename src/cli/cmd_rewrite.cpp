// `llava-verify rewrite`: point the `image` values at local files, touching no other byte.
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/console.h"
#include "core/names.h"
#include "core/rewrite.h"

namespace lv::cli {
namespace {

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa{}, sb{};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace

int run_rewrite(const RewriteCommandOptions& o) {
  if (o.in_place == !o.out.empty()) {
    diag("give either --out FILE or --in-place");
    return kExitError;
  }
  // --in-place replaces the file a symlink points to, not the link.
  std::string out_path = o.out;
  if (o.in_place) {
    char resolved[PATH_MAX];
    if (::realpath(o.records.c_str(), resolved) == nullptr) {
      diag(fmt::format("{}: {}", quote_name(o.records), std::strerror(errno)));
      return kExitError;
    }
    out_path = resolved;
  }
  if (!o.in_place && same_file(o.records, o.out)) {
    diag(fmt::format("{} is the input: use --in-place to replace it", quote_name(o.out)));
    return kExitError;
  }
  if (o.records == "-" && o.in_place) {
    diag("--in-place needs a file, not standard input");
    return kExitError;
  }
  if (!is_valid_utf8(o.prefix)) {
    diag("--prefix is not valid UTF-8: it could not be written into JSON");
    return kExitError;
  }
  if (o.rename_to_gcc && (o.meta.empty() || o.stores.empty())) {
    diag("--rename-to-gcc needs --images (the img2dataset folder) and --meta (metadata.json)");
    return kExitError;
  }
  if (o.drop_missing && o.stores.empty()) {
    diag("--drop-missing needs --images to know which images are missing");
    return kExitError;
  }
  if ((o.fix_extensions || !o.deep.empty()) && o.stores.empty()) {
    diag(fmt::format("{} needs --images: the store whose files are checked", o.fix_extensions ? "--fix-extensions" : "--deep"));
    return kExitError;
  }
  if (!o.deep.empty() && !o.drop_missing) {
    diag("--deep needs --drop-missing: it says which records to drop");
    return kExitError;
  }
  if (!o.prefix_given && o.stores.empty()) {
    diag("nothing to do: give --prefix and/or --images");
    return kExitError;
  }
  std::vector<std::unique_ptr<ImageStore>> stores;
  for (const auto& spec : o.stores) {
    if (!is_valid_utf8(spec)) {
      diag(fmt::format("{}: the store's path is not valid UTF-8: it could not be written into JSON", quote_name(spec)));
      return kExitError;
    }
    auto store = open_store(spec, StoreOptions{o.row_keys, default_jobs(), true, {}});
    if (!store) {
      diag(store.error().message);
      return kExitError;
    }
    warn_problems(quote_name(store.value()->location()), store.value()->problems());
    stores.push_back(std::move(store.value()));
  }
  MetaIndex meta;
  if (!o.meta.empty() && !load_meta_or_say_why(o.meta, meta)) return kExitError;
  RewriteOptions options;
  options.prefix = o.prefix;
  options.stores = stores.empty() ? nullptr : &stores;
  options.zip_dest = o.zip_dest;
  options.meta = o.meta.empty() ? nullptr : &meta;
  options.drop_missing = o.drop_missing;
  options.rename_to_gcc = o.rename_to_gcc;
  // The images' content and their archive entries are judged first, as `missing` does.
  std::optional<MissingReport> judged;
  const DeepLevel deep = deep_level(o.deep);
  if (!stores.empty() && !o.rename_to_gcc && (deep != DeepLevel::off || o.fix_extensions || o.drop_missing)) {
    MissingOptions mo;
    mo.deep = deep;
    mo.archive_compare = !o.no_archive_compare;
    mo.jobs = o.jobs ? o.jobs : default_jobs();
    auto found = find_missing(o.records, [&](bool) -> Result<const StoreList*> { return &stores; },
                              o.meta.empty() ? nullptr : &meta, mo);
    if (!found) {
      diag(found.error().message);
      return kExitError;
    }
    judged = std::move(found.value());
    options.judged = &*judged;
    options.fix_extensions = o.fix_extensions;
  }
  auto stats = rewrite_records(o.records, out_path, options);
  if (!stats) {
    diag(stats.error().message);
    return kExitError;
  }
  const RewriteStats& s = stats.value();
  out(fmt::format("{} -> {}: {} records, {} with an image: {} rewritten{}, {} unchanged, {} {}{}, {} invalid (kept as they were)\n",
                  o.records, o.in_place ? o.records : o.out, s.records, s.with_image, s.rewritten,
                  o.fix_extensions ? fmt::format(" ({} to another extension)", s.fixed_extensions) : std::string(),
                  s.unchanged, s.missing, judged && deep != DeepLevel::off ? "missing or unusable" : "missing",
                  o.drop_missing ? fmt::format(" ({} records dropped)", s.dropped) : std::string(" (kept as they were)"),
                  s.invalid));
  flush_out();
  if (s.invalid > 0 || (s.missing > 0 && !o.drop_missing)) return kExitFindings;
  return kExitOk;
}

}  // namespace lv::cli
