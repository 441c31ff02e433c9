#include "cli/compose/interpolation.hpp"

#include <cctype>

namespace actorswarm::cli::compose {

namespace {

bool name_start(char c) {
  return c == '_' || std::isalpha(static_cast<unsigned char>(c));
}

bool name_char(char c) {
  return c == '_' || std::isalnum(static_cast<unsigned char>(c));
}

failure bad_template(const std::string& text) {
  return fail(errc::invalid_spec, text);
}

// One `${...}` body: NAME, then nothing or one of :- - :? ? and a word.
result<std::string> expand_braced(const std::string& body,
                                  const std::string& whole,
                                  const env_lookup& env) {
  if (body.empty() || !name_start(body[0]))
    return bad_template(whole);
  size_t i = 1;
  while (i < body.size() && name_char(body[i]))
    ++i;
  auto name = body.substr(0, i);
  auto value = env ? env(name) : std::nullopt;
  if (i == body.size())
    return value.value_or("");
  bool colon = body[i] == ':';
  if (colon)
    ++i;
  if (i >= body.size() || (body[i] != '-' && body[i] != '?'))
    return bad_template(whole);
  char op = body[i];
  auto word = body.substr(i + 1);
  // `:` makes an empty value count as missing.
  bool missing = !value || (colon && value->empty());
  if (!missing)
    return *value;
  if (op == '-')
    return word;
  return bad_template("required variable " + name
                      + " is missing a value: " + word);
}

} // namespace

result<std::string> substitute(const std::string& text, const env_lookup& env) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') {
      out += text[i];
      continue;
    }
    if (i + 1 >= text.size())
      return bad_template(text);
    char next = text[i + 1];
    if (next == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (next == '{') {
      auto close = text.find('}', i + 2);
      if (close == std::string::npos)
        return bad_template(text);
      auto v = expand_braced(text.substr(i + 2, close - i - 2), text, env);
      if (!v)
        return v;
      out += *v;
      i = close;
      continue;
    }
    if (!name_start(next))
      return bad_template(text);
    size_t end = i + 1;
    while (end < text.size() && name_char(text[end]))
      ++end;
    auto value = env ? env(text.substr(i + 1, end - i - 1)) : std::nullopt;
    out += value.value_or("");
    i = end - 1;
  }
  return out;
}

std::string go_quote(const std::string& x) {
  std::string out = "\"";
  for (char c : x) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

std::string interpolation_error(const std::string& path,
                                const std::string& template_text) {
  return "invalid interpolation format for " + path + ": "
         + go_quote(template_text)
         + "; you may need to escape any $ with another $";
}

result<std::vector<std::string>> parse_env_file(const std::string& text,
                                                const env_lookup& env) {
  std::vector<std::string> out;
  // A UTF-8 byte order mark opens the first line at most.
  size_t pos = text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  // One line per pass; the text's size bounds the loop.
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    auto line = text.substr(pos, nl == std::string::npos ? std::string::npos
                                                         : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    auto start = line.find_first_not_of(" \t\v\f\r");
    if (start == std::string::npos || line[start] == '#')
      continue;
    line.erase(0, start);
    auto eq = line.find('=');
    auto key = line.substr(0, eq);
    if (key.empty())
      return fail(errc::invalid_spec,
                  "no variable name on line '" + line + "'");
    if (key.find_first_of(" \t\n\v\f\r") != std::string::npos)
      return fail(errc::invalid_spec, "poorly formatted environment: variable '"
                                        + key + "' contains whitespaces");
    if (eq != std::string::npos) {
      out.push_back(line);
      continue;
    }
    if (auto v = env ? env(key) : std::nullopt)
      out.push_back(key + "=" + *v);
  }
  return out;
}

} // namespace actorswarm::cli::compose
