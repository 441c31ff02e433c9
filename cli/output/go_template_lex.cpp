#include "cli/output/go_template_lex.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace actorswarm::cli::output::tmpl {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

failure lex_error(const std::string& src, size_t pos, const std::string& what) {
  return fail(errc::invalid_spec,
              "template: :" + std::to_string(position_of(src, pos).first) + ": "
                + what);
}

// Reads `.A.B` from src[i] (a '.'); returns the names and moves i past them.
std::vector<std::string> field_chain(const std::string& src, size_t& i) {
  std::vector<std::string> out;
  // Each step consumes one '.' and a name: bounded by the text.
  while (i + 1 < src.size() && src[i] == '.' && is_ident_char(src[i + 1])) {
    auto b = ++i;
    while (i < src.size() && is_ident_char(src[i]))
      ++i;
    out.push_back(src.substr(b, i - b));
  }
  return out;
}

// A quoted string starting at src[i] ('"' or '`'); Go's escapes in "...".
result<std::string> quoted(const std::string& src, size_t& i) {
  auto q = src[i++];
  std::string out;
  while (i < src.size() && src[i] != q) {
    auto c = src[i++];
    if (q == '"' && c == '\n')
      break;
    if (q == '"' && c == '\\' && i < src.size()) {
      auto e = src[i++];
      c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
    }
    out += c;
  }
  if (i >= src.size() || src[i] != q)
    return lex_error(src, i,
                     q == '"' ? "unterminated quoted string"
                              : "unterminated raw quoted string");
  ++i;
  return out;
}

value number(const std::string& text) {
  if (text.find_first_of(".eE") == std::string::npos)
    return value(std::strtoll(text.c_str(), nullptr, 10));
  return value(std::strtod(text.c_str(), nullptr));
}

// One token at src[i] (not a space, not the action's end).
result<token> next_token(const std::string& src, size_t& i) {
  token t;
  t.pos = i;
  auto c = src[i];
  auto b = i;
  if (c == '.' && i + 1 < src.size() && is_ident_char(src[i + 1])) {
    t.k = token::kind::field;
    t.fields = field_chain(src, i);
  } else if (c == '.') {
    t.k = token::kind::dot;
    ++i;
  } else if (c == '$') {
    t.k = token::kind::variable;
    ++i;
    while (i < src.size() && is_ident_char(src[i]))
      ++i;
    t.text = src.substr(b, i - b);
    t.fields = field_chain(src, i);
    return t;
  } else if (c == '"' || c == '`') {
    auto s = quoted(src, i);
    if (!s)
      return s.error();
    t.k = token::kind::literal;
    t.lit = *s;
  } else if (std::isdigit(static_cast<unsigned char>(c)) != 0
             || ((c == '-' || c == '+') && i + 1 < src.size()
                 && std::isdigit(static_cast<unsigned char>(src[i + 1]))
                      != 0)) {
    ++i;
    while (i < src.size() && (is_ident_char(src[i]) || src[i] == '.'))
      ++i;
    t.k = token::kind::literal;
    t.lit = number(src.substr(b, i - b));
  } else if (is_ident_char(c)) {
    while (i < src.size() && is_ident_char(src[i]))
      ++i;
    t.k = token::kind::ident;
  } else if (c == ':' && i + 1 < src.size() && src[i + 1] == '=') {
    t.k = token::kind::declare;
    i += 2;
  } else if (c == '(' || c == ')' || c == '|' || c == ',') {
    t.k = c == '('   ? token::kind::lparen
          : c == ')' ? token::kind::rparen
          : c == '|' ? token::kind::pipe
                     : token::kind::comma;
    ++i;
  } else {
    return lex_error(src, i,
                     "unexpected \"" + std::string(1, c) + "\" in command");
  }
  t.text = src.substr(b, i - b);
  if (t.k == token::kind::ident && (t.text == "true" || t.text == "false")) {
    t.k = token::kind::literal;
    t.lit = t.text == "true";
  } else if (t.k == token::kind::ident && t.text == "nil") {
    t.k = token::kind::literal;
  }
  return t;
}

// The tokens of the action whose inside starts at src[i]; moves i past its
// `}}`. `trim_right` tells a ` -}}` end.
result<std::vector<token>> action_tokens(const std::string& src, size_t& i,
                                         bool& trim_right) {
  std::vector<token> out;
  // Each iteration consumes at least one character: bounded by the text.
  while (i < src.size()) {
    if (is_space(src[i])) {
      if (src.compare(i + 1, 3, "-}}") == 0) {
        trim_right = true;
        i += 4;
        return out;
      }
      ++i;
      continue;
    }
    if (src.compare(i, 2, "}}") == 0) {
      i += 2;
      return out;
    }
    auto t = next_token(src, i);
    if (!t)
      return t.error();
    out.push_back(std::move(*t));
  }
  return lex_error(src, i, "unclosed action");
}

std::string trim_left_space(const std::string& x, bool trim) {
  if (!trim)
    return x;
  auto b = std::find_if_not(x.begin(), x.end(), is_space);
  return std::string(b, x.end());
}

} // namespace

std::pair<size_t, size_t> position_of(const std::string& src, size_t pos) {
  pos = std::min(pos, src.size());
  auto line
    = 1 + static_cast<size_t>(std::count(src.begin(), src.begin() + pos, '\n'));
  auto nl = pos == 0 ? std::string::npos : src.rfind('\n', pos - 1);
  return {line, nl == std::string::npos ? pos : pos - nl - 1};
}

result<std::vector<piece>> lex_template(const std::string& src) {
  std::vector<piece> out;
  size_t i = 0;
  bool trim_next = false;
  // Each iteration consumes one action or the rest: bounded by the text.
  while (i < src.size()) {
    auto open = src.find("{{", i);
    piece text;
    text.text = trim_left_space(src.substr(i, open == std::string::npos
                                                ? std::string::npos
                                                : open - i),
                                trim_next);
    trim_next = false;
    if (open == std::string::npos) {
      out.push_back(std::move(text));
      break;
    }
    size_t j = open + 2;
    if (src.compare(j, 2, "- ") == 0 || src.compare(j, 2, "-\t") == 0
        || src.compare(j, 2, "-\n") == 0) {
      j += 2;
      auto e = text.text.find_last_not_of(" \t\r\n");
      text.text.erase(e == std::string::npos ? 0 : e + 1);
    }
    out.push_back(std::move(text));
    auto k = j;
    while (k < src.size() && is_space(src[k]))
      ++k;
    if (src.compare(k, 2, "/*") == 0) {
      auto end = src.find("*/", k + 2);
      if (end == std::string::npos)
        return lex_error(src, k, "unclosed comment");
      i = end + 2;
      while (i < src.size() && is_space(src[i]))
        ++i;
      if (src.compare(i, 3, "-}}") == 0) {
        trim_next = true;
        ++i;
      }
      if (src.compare(i, 2, "}}") != 0)
        return lex_error(src, i, "comment ends before closing delimiter");
      i += 2;
      continue;
    }
    piece action;
    action.action = true;
    action.pos = open;
    auto toks = action_tokens(src, j, trim_next);
    if (!toks)
      return toks.error();
    action.tokens = std::move(*toks);
    out.push_back(std::move(action));
    i = j;
  }
  return out;
}

} // namespace actorswarm::cli::output::tmpl
