// The record files of an audit, each checked against its image roots (see
// audit_roots.h): the roots are listed on a thread while the record files are
// scanned, as `missing` lists its stores; what the folders lack is looked up in
// the archives beside them, to say what `extract` restores.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/audit.h"
#include "core/audit_discover.h"

namespace lv {

// A record file to check: where it is, what it is shown as, and which folder
// (relative to DIR) is its image root.
struct RecordTask {
  std::string shown;   // relative to DIR, or as given when outside it
  std::string path;    // to open
  std::string folder;  // its image root, relative to DIR
  std::string meta;    // metadata beside it, relative to DIR
};

class RecordAudit {
 public:
  RecordAudit(const AuditOptions& o, const AuditTree& tree);
  ~RecordAudit();
  RecordAudit(const RecordAudit&) = delete;
  RecordAudit& operator=(const RecordAudit&) = delete;

  // Appends one AuditRecords per task to report.records (in task order), the
  // gate's reasons to `reasons` and warnings to report.problems.
  void run(const std::vector<RecordTask>& tasks, AuditReport& report, std::vector<std::string>& reasons);
  // The image folders listed (report inputs of kind image_folder/img2dataset).
  void list_inputs(std::vector<AuditInput>& inputs) const;

 private:
  struct RootSlot;
  std::vector<std::string> skipped_below(const std::string& folder) const;
  std::string root_key(const RecordTask& t) const;
  void open_slot(const std::string& folder, RootSlot& slot) const;
  const StoreList& archives_for(RootSlot& slot);
  void check_record_file(const RecordTask& t, RootSlot& slot, double limit);
  void judge_records(AuditRecords& rec, const std::string& records_path, const MissingReport& found, RootSlot& slot,
                     const MetaIndex& meta, double limit);

  const AuditOptions& o_;
  const AuditTree& tree_;
  std::map<std::string, RootSlot> roots_;
  AuditReport* report_ = nullptr;
  std::vector<std::string>* reasons_ = nullptr;
};

}  // namespace lv
