// Reading the files of a supervisord config and checking what the conversion made of them.
#include "ctl/import/importer.h"

#include <glob.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ctl/import/toml_writer.h"
#include "sup/conf/loader.h"

namespace sup::ctl::import {
namespace {

bool ReadFile(const std::string& path, std::string& text, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  text = buf.str();
  return true;
}

// Python's glob.glob (no hidden files for '*', sorted as supervisord sorts them).
std::vector<std::string> Glob(const std::string& pattern) {
  glob_t g{};
  std::vector<std::string> out;
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);
  std::sort(out.begin(), out.end());
  return out;
}

// Splits on whitespace, as Python's str.split() does.
std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// supervisord reads the [include] of the main file only: the patterns are %-expanded (here,
// host_node_name, ENV_X read now) and joined to the main file's directory.
void ReadIncludes(IniDocument& doc, const std::string& main, const ImportOptions& options,
                  std::vector<std::string>& files, std::vector<Warning>& warnings, std::vector<std::string>& errors) {
  const IniSection* include = doc.Find("include");
  if (include == nullptr) return;
  const IniEntry* entry = include->Find("files");
  if (entry == nullptr) {
    errors.push_back(include->file + ":" + std::to_string(include->line) +
                     ": [include] has no `files` (supervisord refuses it)");
    return;
  }
  const std::string base = std::filesystem::absolute(main).parent_path().lexically_normal().string();
  Scope scope;
  scope.names["here"] = Text(base);
  scope.names["host_node_name"] = Text(options.hostname);
  for (const auto& [name, value] : options.env) scope.names["ENV_" + name] = Text(value);
  Expanded patterns = Interpolate(entry->value, scope);
  if (!patterns.error.empty()) {
    errors.push_back(entry->file + ":" + std::to_string(entry->line) + ": [include] files: " + patterns.error);
    return;
  }
  const IniEntry files_entry = *entry;  // `doc` grows below
  for (const auto& word : Words(PlainText(patterns.value))) {
    const std::string pattern = word.front() == '/' ? word : base + "/" + word;
    const std::vector<std::string> matches = Glob(pattern);
    if (matches.empty()) {
      warnings.push_back(Warning{files_entry.file, files_entry.line,
                                 "files: no file matches " + pattern + " (supervisord skips it too)"});
    }
    for (const auto& path : matches) {
      std::string text, error;
      if (!ReadFile(path, text, error)) {
        errors.push_back(error);
        continue;
      }
      IniDocument more;
      ParseIni(text, path, more);
      doc.errors.insert(doc.errors.end(), more.errors.begin(), more.errors.end());
      for (auto& section : more.sections) {
        if (section.name == "include") {
          warnings.push_back(Warning{section.file, section.line,
                                     "[include] in an included file: supervisord does not follow it; ignored"});
          continue;
        }
        IniSection* into = doc.Find(section.name);
        if (into == nullptr) {
          doc.sections.push_back(std::move(section));
          continue;
        }
        for (auto& e : section.entries) {  // a later file's value replaces an earlier one
          auto it = std::find_if(into->entries.begin(), into->entries.end(),
                                 [&](const IniEntry& x) { return x.key == e.key; });
          if (it != into->entries.end()) *it = std::move(e);
          else into->entries.push_back(std::move(e));
        }
      }
      files.push_back(path);
    }
  }
}

}  // namespace

ImportResult ImportSupervisordText(std::string_view text, const std::string& path, const ImportOptions& options) {
  ImportResult result;
  IniDocument doc;
  ParseIni(text, path, doc);
  std::vector<std::string> files{path};
  std::vector<Warning> include_warnings;
  ReadIncludes(doc, path, options, files, include_warnings, result.errors);
  for (const auto& e : doc.errors) {
    result.errors.push_back(e.file + ":" + std::to_string(e.line) + ": " + e.message +
                            " (supervisord refuses the file)");
  }
  if (!result.errors.empty()) return result;

  Converter converter(doc, files, options);
  for (auto& w : include_warnings) converter.AddWarning(std::move(w));
  const OutConfig config = converter.Run();
  result.warnings = converter.TakeWarnings();
  result.toml = WriteToml(config, result.warnings);

  // The promise of the command: its output loads. A failure here is the importer's bug.
  const conf::LoadResult check = conf::LoadString(result.toml, "imported.toml", options.env, options.euid);
  for (const auto& e : check.errors) result.errors.push_back("the converted config does not load: " + e.ToString());
  return result;
}

ImportResult ImportSupervisord(const std::string& path, const ImportOptions& options) {
  std::string text, error;
  if (!ReadFile(path, text, error)) {
    ImportResult result;
    result.errors.push_back(error);
    return result;
  }
  return ImportSupervisordText(text, path, options);
}

}  // namespace sup::ctl::import
