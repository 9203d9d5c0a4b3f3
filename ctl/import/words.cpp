// Python's shlex, both modes, over templates; see words.h. References are atoms that behave as
// word characters, since supervisord expands them before it lexes.
#include "ctl/import/words.h"

#include <cctype>

namespace sup::ctl::import {
namespace {

// One character of a template, or one whole reference.
struct Atom {
  const Piece* ref = nullptr;  // set for a reference
  char c = 0;
};

std::vector<Atom> Atoms(const Template& t) {
  std::vector<Atom> atoms;
  for (const auto& piece : t) {
    if (piece.kind != Piece::Kind::kText) {
      atoms.push_back(Atom{&piece, 0});
      continue;
    }
    for (char c : piece.text) atoms.push_back(Atom{nullptr, c});
  }
  return atoms;
}

void Add(Template& word, const Atom& a) {
  if (a.ref) word.push_back(*a.ref);
  else AppendText(word, std::string_view(&a.c, 1));
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool ExpandsInShell(const std::vector<Atom>& atoms, size_t i) {
  if (i + 1 >= atoms.size() || atoms[i + 1].ref) return false;
  const char next = atoms[i + 1].c;
  return std::isalpha(static_cast<unsigned char>(next)) || next == '_' || next == '{' || next == '(';
}

bool IsWordChar(const Atom& a) {
  if (a.ref) return true;
  const char c = a.c;
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         std::string_view("/.+-():").find(c) != std::string_view::npos;
}

// shlex.shlex(text) with supervisord's extra word characters, posix = False: quoted tokens
// keep their quotes, '#' starts a comment, any other character is a token of its own.
std::vector<Template> ClassicTokens(const std::vector<Atom>& atoms, std::string& error) {
  std::vector<Template> tokens;
  size_t i = 0;
  while (i < atoms.size()) {
    const Atom& a = atoms[i];
    if (!a.ref && IsBlank(a.c)) {
      ++i;
    } else if (!a.ref && a.c == '#') {
      while (i < atoms.size() && (atoms[i].ref || atoms[i].c != '\n')) ++i;
    } else if (!a.ref && (a.c == '"' || a.c == '\'')) {
      Template token;
      Add(token, a);
      size_t j = i + 1;
      while (j < atoms.size() && (atoms[j].ref || atoms[j].c != a.c)) Add(token, atoms[j++]);
      if (j >= atoms.size()) {
        error = "no closing quotation";
        return {};
      }
      Add(token, atoms[j]);
      tokens.push_back(std::move(token));
      i = j + 1;
    } else if (IsWordChar(a)) {
      Template token;
      while (i < atoms.size() &&
             (IsWordChar(atoms[i]) || (!atoms[i].ref && (atoms[i].c == '"' || atoms[i].c == '\''))))
        Add(token, atoms[i++]);
      tokens.push_back(std::move(token));
    } else {
      tokens.push_back(Text(std::string(1, a.c)));
      ++i;
    }
  }
  return tokens;
}

// Python's str.strip('\'"') on a token's ends.
Template StripQuotes(Template t) {
  auto is_quote = [](char c) { return c == '"' || c == '\''; };
  while (!t.empty() && t.front().kind == Piece::Kind::kText) {
    std::string& s = t.front().text;
    size_t n = 0;
    while (n < s.size() && is_quote(s[n])) ++n;
    s.erase(0, n);
    if (!s.empty()) break;
    t.erase(t.begin());
  }
  while (!t.empty() && t.back().kind == Piece::Kind::kText) {
    std::string& s = t.back().text;
    while (!s.empty() && is_quote(s.back())) s.pop_back();
    if (!s.empty()) break;
    t.pop_back();
  }
  return t;
}

}  // namespace

SplitCommand SplitShlex(const Template& command) {
  SplitCommand r;
  const std::vector<Atom> atoms = Atoms(command);
  Template word;
  bool in_word = false;
  char quote = 0;
  auto feature = [&](std::string what) {
    if (r.shell_feature.empty()) r.shell_feature = std::move(what);
  };
  for (size_t i = 0; i < atoms.size(); ++i) {
    const Atom& a = atoms[i];
    if (a.ref) {
      word.push_back(*a.ref);
      in_word = true;
      continue;
    }
    const char c = a.c;
    if (quote == '\'') {
      if (c == '\'') quote = 0;
      else Add(word, a);
    } else if (quote == '"') {
      if (c == '"') {
        quote = 0;
      } else if (c == '\\' && i + 1 < atoms.size() && !atoms[i + 1].ref &&
                 (atoms[i + 1].c == '"' || atoms[i + 1].c == '\\')) {
        Add(word, atoms[++i]);  // inside "…" only \" and \\ are escapes
      } else if (c == '\\' && i + 1 >= atoms.size()) {
        r.error = "no escaped character";
        return r;
      } else {
        if (c == '`') feature("a backquote");
        if (c == '$' && ExpandsInShell(atoms, i)) feature("`$` (a shell expansion)");
        Add(word, a);
      }
    } else if (IsBlank(c)) {
      if (in_word) r.words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 >= atoms.size()) {
        r.error = "no escaped character";
        return r;
      }
      Add(word, atoms[++i]);
      in_word = true;
    } else {
      if (std::string_view("|&;<>()`").find(c) != std::string_view::npos) {
        feature(c == '`' ? "a backquote" : std::string("`") + c + "`");
      }
      if (c == '$' && ExpandsInShell(atoms, i)) feature("`$` (a shell expansion)");
      Add(word, a);
      in_word = true;
    }
  }
  if (quote != 0) {
    r.error = "no closing quotation";
    return r;
  }
  if (in_word) r.words.push_back(std::move(word));
  return r;
}

EnvPairs ParseEnvPairs(const Template& text) {
  EnvPairs r;
  const std::vector<Template> tokens = ClassicTokens(Atoms(text), r.error);
  if (!r.error.empty()) return r;
  for (size_t i = 0; i < tokens.size(); i += 4) {
    if (i + 2 >= tokens.size() || tokens[i + 1] != Text("=")) {
      return EnvPairs{{}, {}, "expected KEY=VALUE pairs separated by commas"};
    }
    if (HasReferences(tokens[i])) {
      return EnvPairs{{}, {}, "a variable name made by an expansion"};
    }
    if (i + 3 < tokens.size() && tokens[i + 3] != Text(",")) {
      r.skipped.push_back(PlainText(tokens[i + 3]));  // supervisord drops it without a word
    }
    const std::string key = PlainText(tokens[i]);
    Template value = StripQuotes(tokens[i + 2]);
    bool replaced = false;
    for (auto& [k, v] : r.pairs) {
      if (k == key) {
        v = value;
        replaced = true;
      }
    }
    if (!replaced) r.pairs.emplace_back(key, std::move(value));
  }
  return r;
}

}  // namespace sup::ctl::import
