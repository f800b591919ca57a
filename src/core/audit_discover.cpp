#include "core/audit_discover.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include <fmt/format.h>

#include "core/file_reader.h"
#include "core/fs.h"
#include "core/names.h"

namespace lv {
namespace {

// Folders that hold images, never records: not searched (a COCO train2017
// folder alone is 118K names). Shard folders (all digits) neither.
constexpr std::array<std::string_view, 16> kImageFolders = {
    "coco",   "gqa",      "ocr_vqa",      "textvqa", "vg",        "images",     "train2017",     "train2014",
    "val2014", "val2017", "train_images", "VG_100K", "VG_100K_2", "sam",        "share_textvqa", "web-celebrity"};

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_manifest_name(std::string_view name) { return name == "manifest.json" || name == "SHA256SUMS"; }

struct Listing {
  std::vector<std::string> files, folders, links;
};

// Regular files and real folders at the top of `path`; links are not followed.
Result<Listing> list_folder(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error{fmt::format("{}: {}", quote_name(path), error_text(errno))};
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    const int err = errno;
    ::close(fd);
    return Error{fmt::format("{}: {}", quote_name(path), error_text(err))};
  }
  Listing out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.empty() || name.front() == '.') continue;
    unsigned char type = e->d_type;
    if (type == DT_UNKNOWN) {
      struct stat st{};
      if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      type = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_UNKNOWN;
    }
    if (type == DT_REG) out.files.push_back(std::move(name));
    if (type == DT_DIR) out.folders.push_back(std::move(name));
    if (type == DT_LNK) out.links.push_back(std::move(name));
  }
  ::closedir(d);
  std::sort(out.files.begin(), out.files.end());
  std::sort(out.folders.begin(), out.folders.end());
  std::sort(out.links.begin(), out.links.end());
  return out;
}

std::size_t skip_space(std::string_view s, std::size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
  return i;
}

// Whether the object starting at s[i] == '{' has a top-level key "conversations"
// or "image" (within the bytes given).
bool first_object_has_record_key(std::string_view s, std::size_t i) {
  int depth = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"') {
      const std::size_t start = i + 1;
      std::size_t j = start;
      while (j < s.size() && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
      if (j >= s.size()) return false;
      const std::string_view text = s.substr(start, j - start);
      const std::size_t after = skip_space(s, j + 1);
      if (depth == 1 && after < s.size() && s[after] == ':' && (text == "conversations" || text == "image")) return true;
      i = j + 1;
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') {
      if (--depth == 0) return false;
    }
    ++i;
  }
  return false;
}

}  // namespace

bool is_metadata_name(std::string_view name) {
  return name == "metadata.json" || name == "blip_laion_cc_sbu_558k_meta.json";
}

namespace {

// A .json or .jsonl file of `folder`, not metadata nor a manifest, whose first bytes are records.
bool holds_records(const std::string& folder, const std::string& name) {
  return (name.ends_with(".json") || name.ends_with(".jsonl")) && !is_metadata_name(name) && !is_manifest_name(name) &&
         sniff_record_file(join_path(folder, name));
}

}  // namespace

std::string sub_path(std::string_view section, std::string_view name) {
  if (section.empty() || section == ".") return std::string(name);
  if (name.empty() || name == ".") return std::string(section);
  return fmt::format("{}/{}", section, name);
}

bool sniff_record_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  struct stat st{};
  std::string buf;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    buf.resize(16 * 1024);
    const ssize_t n = ::pread(fd, buf.data(), buf.size(), 0);
    buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  }
  ::close(fd);
  std::string_view s = buf;
  if (s.starts_with("\xEF\xBB\xBF")) s.remove_prefix(3);
  std::size_t i = skip_space(s, 0);
  if (i < s.size() && s[i] == '[') i = skip_space(s, i + 1);
  return i < s.size() && s[i] == '{' && first_object_has_record_key(s, i);
}

bool is_prompts_folder(const std::string& path) {
  for (const char* task : {"conversation", "detail_description", "complex_reasoning"}) {
    struct stat st{};
    if (::stat(join_path(join_path(path, task), "system_message.txt").c_str(), &st) == 0 && S_ISREG(st.st_mode)) return true;
  }
  return false;
}

Result<AuditTree> discover_audit_tree(const std::string& dir) {
  AuditTree tree;
  if (is_prompts_folder(dir)) {
    tree.prompts.push_back(".");
    return tree;
  }
  // Breadth first, each level sorted: sections come out a folder before its sub-folders.
  std::vector<std::string> level = {""};
  for (int depth = 0; depth <= kAuditDepth && !level.empty(); ++depth) {
    std::vector<std::string> next;
    for (const auto& rel : level) {
      const std::string path = rel.empty() ? dir : join_path(dir, rel);
      auto listed = list_folder(path);
      if (!listed) {
        if (rel.empty()) return listed.error();
        continue;  // an unreadable sub-folder holds nothing we can check
      }
      AuditSection section;
      section.path = rel;
      for (const auto& f : listed->files) {
        if (f.ends_with(".zip")) section.archives.push_back(f);
        if (holds_records(path, f)) section.record_files.push_back(f);
      }
      // A link is not followed; one whose first bytes are records is reported.
      for (const auto& f : listed->links) {
        if (holds_records(path, f)) section.linked_records.push_back(f);
      }
      const bool checkable = !section.record_files.empty() || !section.linked_records.empty() || !section.archives.empty() ||
                             std::any_of(listed->files.begin(), listed->files.end(), [](const std::string& f) {
                               return is_metadata_name(f) || is_manifest_name(f);
                             });
      for (const auto& sub : listed->folders) {
        const std::string sub_rel = sub_path(rel, sub);
        if (is_prompts_folder(join_path(dir, sub_rel))) {
          tree.prompts.push_back(sub_rel);
          continue;
        }
        if (sub == "eval") {
          tree.skipped.push_back(sub_rel);
          continue;
        }
        if (all_digits(sub) || std::find(kImageFolders.begin(), kImageFolders.end(), sub) != kImageFolders.end()) continue;
        next.push_back(sub_rel);
      }
      section.files = std::move(listed->files);
      section.folders = std::move(listed->folders);
      if (checkable) tree.sections.push_back(std::move(section));
    }
    level = std::move(next);
  }
  std::sort(tree.sections.begin(), tree.sections.end(), [](const AuditSection& a, const AuditSection& b) { return a.path < b.path; });
  std::sort(tree.prompts.begin(), tree.prompts.end());
  std::sort(tree.skipped.begin(), tree.skipped.end());
  return tree;
}

}  // namespace lv
