#!/usr/bin/env bash
# Spoken prompts for omniq_media (docs/admin-media.md, "Prompts"), made with Debian's
# espeak-ng and sox, one directory per language:
#   scripts/prompts.sh OUT      -> OUT/zh/*.wav, OUT/en/*.wav (8000 Hz mono 16-bit)
# A synthetic voice, so that `make run` and a first install speak at once; record your own
# (the same file names) for production. Made again only when this script changes.
set -euo pipefail
out=${1:?usage: scripts/prompts.sh OUT}
stamp="$out/.made-by"
self=$(sha256sum "$0" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$self" ]; then
  exit 0
fi
for t in espeak-ng sox; do
  command -v $t >/dev/null || { echo "prompts: $t is missing (make deps installs it)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

say() {   # say LANG NAME TEXT
  local voice=$1 dir=$out/$2
  mkdir -p "$dir"
  espeak-ng -v "$voice" -s 150 -w "$tmp/raw.wav" "$4"
  # 8 kHz mono 16-bit, a little quieter than full scale, silence trimmed at both ends
  sox -q "$tmp/raw.wav" -r 8000 -c 1 -b 16 "$dir/$3.wav" silence 1 0.02 0.5% reverse \
    silence 1 0.02 0.5% reverse gain -n -3
}

while IFS='|' read -r name zh en; do
  [ -z "$name" ] && continue
  [ -n "$zh" ] && say cmn zh "$name" "$zh"
  [ -n "$en" ] && say en en "$name" "$en"
done <<'TEXTS'
greeting|您好，欢迎致电。客服代表正忙，请稍候。|Hello, and thank you for calling. All our agents are busy, please hold.
pos_pre|您排在第|You are number
pos_post|位。|in the queue.
wait_pre|预计等待|The expected wait is
wait_minute||minute.
wait_minutes|分钟。|minutes.
wait_short|不到一分钟。|less than a minute.
wait_over|超过|more than
callback_offer|如需回电，请按一。|To be called back instead, press one.
callback_ok|我们会尽快给您回电，再见。|We will call you back. Goodbye.
closed|现在是非工作时间。|We are closed now.
sla3|非常抱歉让您久等了。|We are very sorry for the long wait.
survey_ask|请为刚才的服务打分，非常满意请按五，非常不满意请按一。|Please rate the service you just had: press five if you were very satisfied, one if not at all.
survey_thanks|感谢您的评价，再见。|Thank you for your rating. Goodbye.
survey_nps|您有多大可能向朋友推荐我们？请按零到九，十分请按一再按零。|How likely are you to recommend us to a friend, from zero to ten? Press a key from zero to nine; for ten, press one, then zero.
digit_0|零|zero
digit_1|一|one
digit_2|二|two
digit_3|三|three
digit_4|四|four
digit_5|五|five
digit_6|六|six
digit_7|七|seven
digit_8|八|eight
digit_9|九|nine
ten|十|ten
hundred|百|hundred
thousand|千|thousand
ten_thousand|万|
two_alt|两|
eleven||eleven
twelve||twelve
thirteen||thirteen
fourteen||fourteen
fifteen||fifteen
sixteen||sixteen
seventeen||seventeen
eighteen||eighteen
nineteen||nineteen
twenty||twenty
thirty||thirty
forty||forty
fifty||fifty
sixty||sixty
seventy||seventy
eighty||eighty
ninety||ninety
and||and
TEXTS

# music on hold: a slow arpeggio, twice, soft (the same in both languages)
notes=(261.63 329.63 392.00 523.25 392.00 329.63)
parts=()
for i in "${!notes[@]}"; do
  sox -q -n -r 8000 -c 1 -b 16 "$tmp/n$i.wav" synth 0.45 sine "${notes[$i]}" fade q 0.03 0.45 0.12 vol 0.25
  parts+=("$tmp/n$i.wav")
done
sox -q "${parts[@]}" "$tmp/music.wav" repeat 1
for l in zh en; do cp "$tmp/music.wav" "$out/$l/music.wav"; done
echo "$self" > "$stamp"
echo "prompts: $out/zh, $out/en (espeak-ng; record your own for production)"
