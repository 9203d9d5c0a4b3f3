// The bash, zsh and fish completion scripts: fixed drivers (below) around tables generated from
// DescribeCommands(). Both drivers read the line the same way: global options, the command
// (and its nested subcommand), the option values to skip, then the positional being typed.
#include "ctl/completion.h"

#include <algorithm>
#include <string_view>

#include "ctl/cli.h"

namespace sup::ctl {
namespace {

// Shell words in single quotes ('it'\''s').
std::string Quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : " ") + item;
  return out;
}

// The values offered for `signal SIG` and `notify KEY=VALUE` (every shell).
constexpr std::string_view kSignalWords = "HUP INT QUIT KILL TERM USR1 USR2 CONT STOP WINCH reload";
constexpr std::string_view kNotifyWords =
    "READY=1 STATUS= RELOADING=1 STOPPING=1 WATCHDOG=1 WATCHDOG=trigger MAINPID= ERRNO= EXTEND_TIMEOUT_USEC=";

void SpecCase(std::string& out, const std::string& key, const CommandSpec& spec) {
  std::vector<std::string> subs;
  for (const auto& sub : spec.subcommands) subs.push_back(sub.name);
  out += "    " + Quote(key) + ") opts=" + Quote(Join(spec.flags)) + " vopts=" + Quote(Join(spec.value_options));
  if (!subs.empty()) out += " subs=" + Quote(Join(subs));
  if (!spec.positionals.empty()) out += "; posl=(" + Join(spec.positionals) + ")";
  if (spec.last_repeats) out += "; repeats=1";
  out += " ;;\n";
}

void ChoiceCases(std::string& out, const std::string& key, const CommandSpec& spec) {
  for (const auto& [name, values] : spec.choices)
    out += "    " + Quote(key + " " + name) + ") echo " + Quote(Join(values)) + " ;;\n";
}

// The functions both shells share: _supctl_spec CMD sets opts, vopts (options that take a
// value), subs (nested commands), posl (positional kinds) and repeats; _supctl_choices CMD NAME
// prints the values offered for an option or a positional.
std::string Tables() {
  const std::vector<CommandSpec> specs = DescribeCommands();
  std::string spec = "_supctl_spec() {\n  opts= vopts= subs= repeats=0\n  posl=()\n  case \"$1\" in\n";
  std::string choices = "_supctl_choices() {\n  case \"$1 $2\" in\n";
  for (const auto& s : specs) {
    SpecCase(spec, s.name, s);
    ChoiceCases(choices, s.name, s);
    for (const auto& sub : s.subcommands) {
      SpecCase(spec, s.name + "/" + sub.name, sub);
      ChoiceCases(choices, s.name + "/" + sub.name, sub);
    }
  }
  spec += "  esac\n}\n\n";
  choices += "    *' SIG') echo " + Quote(kSignalWords) + " ;;\n" +
             "    *' KEY=VALUE') echo " + Quote(kNotifyWords) + " ;;\n" + "  esac\n}\n\n";
  return spec + choices;
}

std::vector<CommandSpec> Commands() {
  std::vector<CommandSpec> specs = DescribeCommands();
  specs.erase(specs.begin());  // the global options
  return specs;
}

// The global options a command accepts after it (-s, --json): all but those every command has
// itself (-h, --help).
std::string GlobalsAfterCommand() {
  const std::vector<CommandSpec> specs = DescribeCommands();
  const CommandSpec& first = specs.at(1);
  std::vector<std::string> names;
  for (const auto* list : {&specs[0].flags, &specs[0].value_options}) {
    for (const auto& name : *list) {
      if (std::find(first.flags.begin(), first.flags.end(), name) == first.flags.end()) names.push_back(name);
    }
  }
  return Join(names);  // option names: no character a shell would interpret
}

// Walks the words before the cursor (WORDS, from index FIRST up to END, exclusive) into cmd, pos
// and sock. Written once for both shells: the differences are the array names and the base.
std::string Walk(const std::string& words, const std::string& first, const std::string& end) {
  return "  _supctl_spec ''; gopts=\"$opts\"; gvopts=\"$vopts\"\n"
         "  for ((i = " + first + "; i < " + end + "; i++)); do\n"
         "    word=\"${" + words + "[i]}\"\n"
         "    if [[ $word == -* ]]; then\n"
         "      if [[ \" $gvopts \" == *\" $word \"* ]]; then\n"
         "        [[ $word == -s || $word == --socket ]] && sock=(-s \"${" + words + "[i+1]}\")\n"
         "        ((i++))\n"
         "      elif [[ -n $cmd ]]; then\n"
         "        _supctl_spec \"$cmd\"\n"
         "        [[ \" $vopts \" == *\" $word \"* ]] && ((i++))\n"
         "      fi\n"
         "    elif [[ -z $cmd ]]; then\n"
         "      cmd=\"$word\"\n"
         "    else\n"
         "      _supctl_spec \"$cmd\"\n"
         "      if [[ ${#pos[@]} -eq 0 && -n $subs && \" $subs \" == *\" $word \"* ]]; then cmd=\"$cmd/$word\"\n"
         "      else pos+=(\"$word\"); fi\n"
         "    fi\n"
         "  done\n"
         "  _supctl_spec \"$cmd\"\n";
}

std::string Bash() {
  std::string commands;
  for (const auto& c : Commands()) commands += (commands.empty() ? "" : " ") + c.name;
  return "# bash completion for supctl, printed by `supctl completion bash`.\n"
         "# Load it now with: source <(supctl completion bash)\n"
         "# or for good: supctl completion bash > /etc/bash_completion.d/supctl\n\n" +
         Tables() +
         "_supctl() {\n"
         "  local line=\"${COMP_LINE:0:COMP_POINT}\" cur= cmd= word kind prev i n\n"
         "  local opts vopts subs repeats gopts gvopts\n"
         "  local -a w posl pos sock\n"
         "  read -ra w <<< \"$line\"\n"
         "  if [[ -n $line && $line != *[[:space:]] && ${#w[@]} -gt 0 ]]; then\n"
         "    cur=\"${w[${#w[@]}-1]}\"\n"
         "    unset \"w[${#w[@]}-1]\"\n"
         "  fi\n"
         "  local prog=\"${w[0]:-supctl}\"\n"
         "  prog=\"${prog/#\\~/$HOME}\"\n" +
         Walk("w", "1", "${#w[@]}") +
         "  prev=\"${w[${#w[@]}-1]}\"\n"
         "  COMPREPLY=()\n"
         "  if (( ${#w[@]} > 1 )) && [[ \" $gvopts \" == *\" $prev \"* || ( -n $cmd && \" $vopts \" == *\" $prev \"* ) ]]; then\n"
         "    case \"$prev\" in\n"
         "      -s|--socket) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
         "      *) COMPREPLY=($(compgen -W \"$(_supctl_choices \"$cmd\" \"$prev\")\" -- \"$cur\")) ;;\n"
         "    esac\n"
         "    return 0\n"
         "  fi\n"
         "  if [[ -z $cmd ]]; then\n"
         "    if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"$gopts $gvopts\" -- \"$cur\"))\n"
         "    else COMPREPLY=($(compgen -W " + Quote(commands) + " -- \"$cur\")); fi\n"
         "    return 0\n"
         "  fi\n"
         "  if [[ $cur == -* ]]; then\n"
         "    COMPREPLY=($(compgen -W \"$opts $vopts " + GlobalsAfterCommand() + "\" -- \"$cur\"))\n"
         "    return 0\n"
         "  fi\n"
         "  n=${#pos[@]}\n"
         "  if [[ -n $subs && $n -eq 0 ]]; then COMPREPLY=($(compgen -W \"$subs\" -- \"$cur\")); return 0; fi\n"
         "  kind=\n"
         "  if ((n < ${#posl[@]})); then kind=\"${posl[n]}\"\n"
         "  elif ((repeats && ${#posl[@]})); then kind=\"${posl[${#posl[@]}-1]}\"; fi\n"
         "  case \"$kind\" in\n"
         "    SEL)\n"
         "      COMPREPLY=($(compgen -W \"all $(\"$prog\" \"${sock[@]}\" __complete-names 2>/dev/null)\" -- \"$cur\"))\n"
         "      # bash splits words at ':' (web:0): reply with what follows the last ':' typed\n"
         "      if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then\n"
         "        local pre=\"${cur%\"${cur##*:}\"}\"\n"
         "        COMPREPLY=(\"${COMPREPLY[@]#\"$pre\"}\")\n"
         "      fi ;;\n"
         "    FILE) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
         "    '') ;;\n"
         "    *) COMPREPLY=($(compgen -W \"$(_supctl_choices \"$cmd\" \"$kind\")\" -- \"$cur\")) ;;\n"
         "  esac\n"
         "  return 0\n"
         "}\n\n"
         "complete -F _supctl supctl\n";
}

std::string Zsh() {
  std::string described;
  for (const auto& c : Commands()) described += "    " + Quote(c.name + ":" + c.purpose) + "\n";
  return "#compdef supctl\n"
         "# zsh completion for supctl, printed by `supctl completion zsh`.\n"
         "# Load it now with: source <(supctl completion zsh)\n"
         "# or for good: supctl completion zsh > \"${fpath[1]}/_supctl\"\n\n" +
         Tables() +
         "_supctl() {\n"
         "  local cur=\"${words[CURRENT]}\" prev=\"${words[CURRENT-1]}\" prog=\"${words[1]}\" cmd= word kind i n\n"
         "  local opts vopts subs repeats gopts gvopts\n"
         "  local -a posl pos sock commands\n" +
         Walk("words", "2", "CURRENT") +
         "  if (( CURRENT > 2 )) && [[ \" $gvopts \" == *\" $prev \"* || ( -n $cmd && \" $vopts \" == *\" $prev \"* ) ]]; then\n"
         "    case \"$prev\" in\n"
         "      -s|--socket) _files ;;\n"
         "      *) compadd -- ${=$(_supctl_choices \"$cmd\" \"$prev\")} ;;\n"
         "    esac\n"
         "    return\n"
         "  fi\n"
         "  if [[ -z $cmd ]]; then\n"
         "    if [[ $cur == -* ]]; then compadd -- ${=gopts} ${=gvopts}; return; fi\n"
         "    commands=(\n" + described +
         "    )\n"
         "    _describe -t commands 'supctl command' commands\n"
         "    return\n"
         "  fi\n"
         "  if [[ $cur == -* ]]; then compadd -- ${=opts} ${=vopts} " + GlobalsAfterCommand() + "; return; fi\n"
         "  n=${#pos}\n"
         "  if [[ -n $subs && $n -eq 0 ]]; then compadd -- ${=subs}; return; fi\n"
         "  kind=\n"
         "  if (( n < ${#posl} )); then kind=\"${posl[n+1]}\"\n"
         "  elif (( repeats && ${#posl} )); then kind=\"${posl[-1]}\"; fi\n"
         "  case \"$kind\" in\n"
         "    SEL) compadd -- all ${(f)\"$(\"$prog\" \"${sock[@]}\" __complete-names 2>/dev/null)\"} ;;\n"
         "    FILE) _files ;;\n"
         "    '') ;;\n"
         "    *) compadd -- ${=$(_supctl_choices \"$cmd\" \"$kind\")} ;;\n"
         "  esac\n"
         "}\n\n"
         "if [[ \"${zsh_eval_context[-1]}\" == loadautofunc ]]; then\n"
         "  _supctl \"$@\"\n"
         "else\n"
         "  compdef _supctl supctl\n"
         "fi\n";
}

// fish: one `complete` line per command, option and positional, each guarded by
// __supctl_at CMD N (the word being typed is the N-th positional of CMD; "N+" = N or later),
// which walks the line like the bash and zsh drivers do (value options take the next word).
std::string FishValues(const CommandSpec& spec, const std::string& kind) {
  if (kind == "SEL") return "-f -a '(__supctl_names)'";
  if (kind == "FILE") return "-F";
  if (kind == "SIG") return "-f -a " + Quote(kSignalWords);
  if (kind == "KEY=VALUE") return "-f -a " + Quote(kNotifyWords);
  if (auto c = spec.choices.find(kind); c != spec.choices.end()) return "-f -a " + Quote(Join(c->second));
  return "-f";
}

void FishOptions(std::string& out, const CommandSpec& spec, const std::string& guard) {
  auto option = [&](const std::string& name, bool takes_value) {
    out += "complete -c supctl" + guard + (name.size() == 2 ? " -s " + name.substr(1) : " -l " + name.substr(2));
    if (takes_value) {
      auto c = spec.choices.find(name);
      out += c != spec.choices.end() ? " -x -a " + Quote(Join(c->second)) : std::string(" -r");
    }
    out += "\n";
  };
  for (const auto& f : spec.flags) option(f, false);
  for (const auto& v : spec.value_options) option(v, true);
}

std::string Fish() {
  const std::vector<CommandSpec> specs = DescribeCommands();
  std::string vopts = "set -g __supctl_vopts";
  for (const auto& v : specs[0].value_options) vopts += " " + v;
  std::string out =
      "# fish completion for supctl, printed by `supctl completion fish`.\n"
      "# Load it now with: supctl completion fish | source\n"
      "# or for good: supctl completion fish > ~/.config/fish/completions/supctl.fish\n\n" +
      vopts + "\n";
  for (const auto& c : Commands()) {
    std::string line = "set -g __supctl_vopts_" + c.name;
    for (const auto& v : c.value_options) line += " " + v;
    out += line + "\n";
  }
  out += R"(
# The command and the positionals before the cursor: prints "CMD N".
function __supctl_walk
    set -l words (commandline -opc)
    set -e words[1]
    set -l cmd
    set -l n 0
    set -l skip 0
    for w in $words
        if test $skip = 1
            set skip 0
            continue
        end
        if string match -q -- '-*' $w
            if contains -- $w $__supctl_vopts
                set skip 1
            else if test -n "$cmd"; and set -q __supctl_vopts_$cmd
                set -l name __supctl_vopts_$cmd
                contains -- $w $$name; and set skip 1
            end
        else if test -z "$cmd"
            set cmd $w
        else
            set n (math $n + 1)
        end
    end
    echo "$cmd" $n
end

# True when the word being typed is positional N of CMD ("N+": N or later).
function __supctl_at --argument-names want index
    set -l at (string split ' ' -- (__supctl_walk))
    test "$at[1]" = "$want"; or return 1
    if string match -q -- '*+' $index
        test $at[2] -ge (string trim -r -c + -- $index)
    else
        test $at[2] -eq $index
    end
end

function __supctl_in_command --argument-names want
    set -l at (string split ' ' -- (__supctl_walk))
    test "$at[1]" = "$want"
end

# Selectors: all, programs, instances and groups, asked of supd (-s as typed on the line).
function __supctl_names
    set -l words (commandline -opc)
    set -l sock
    for i in (seq (count $words))
        if contains -- $words[$i] -s --socket; and test $i -lt (count $words)
            set sock -s $words[(math $i + 1)]
        end
    end
    echo all
    command -q -- $words[1]; and $words[1] $sock __complete-names 2>/dev/null
end

complete -c supctl -e
complete -c supctl -f
)";
  out += "complete -c supctl -s s -l socket -r -F\n";
  FishOptions(out, specs[0], "");
  for (const auto& c : Commands()) {
    out += "complete -c supctl -n '__supctl_at \"\" 0' -a " + Quote(c.name) + " -d " + Quote(c.purpose) + "\n";
    const std::string in = " -n " + Quote("__supctl_in_command " + c.name);
    FishOptions(out, c, in);
    std::vector<std::string> kinds = c.positionals;
    bool repeats = c.last_repeats;
    const CommandSpec* values = &c;
    if (!c.subcommands.empty()) {  // import supervisord FILE: the format, then its positionals
      std::vector<std::string> subs;
      for (const auto& sub : c.subcommands) subs.push_back(sub.name);
      out += "complete -c supctl -n " + Quote("__supctl_at " + c.name + " 0") + " -f -a " + Quote(Join(subs)) + "\n";
      kinds = c.subcommands.front().positionals;
      kinds.insert(kinds.begin(), "");
      repeats = c.subcommands.front().last_repeats;
      values = &c.subcommands.front();
      FishOptions(out, c.subcommands.front(), in);
    }
    for (std::size_t i = 0; i < kinds.size(); ++i) {
      if (kinds[i].empty()) continue;
      const bool last = i + 1 == kinds.size();
      const std::string at = std::to_string(i) + (last && repeats ? "+" : "");
      out += "complete -c supctl -n " + Quote("__supctl_at " + c.name + " " + at) + " " +
             FishValues(*values, kinds[i]) + "\n";
    }
  }
  return out;
}

}  // namespace

std::string CompletionScript(const std::string& shell) {
  if (shell == "bash") return Bash();
  if (shell == "zsh") return Zsh();
  if (shell == "fish") return Fish();
  return "";
}

}  // namespace sup::ctl
