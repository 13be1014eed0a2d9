//! Example-based tests: a parse table, then each key's edge cases, then the table itself.

use super::*;
use crate::error::Error;

/// Parses `query`, failing the test with the error if it is rejected.
fn accepts(query: &str) -> Params {
    Params::parse(query).unwrap_or_else(|e| panic!("{query:?} rejected: {e}"))
}

/// Parses `query` expecting a 400; returns (key, value, expected).
fn rejects(query: &str) -> (String, String, String) {
    match Params::parse(query) {
        Err(Error::InvalidParameter {
            key,
            value,
            expected,
        }) => (key, value, expected),
        other => panic!("{query:?}: expected an invalid-parameter error, got {other:?}"),
    }
}

/// The canonical form with its percent-escapes decoded, for readable expectations.
fn readable(params: &Params) -> String {
    percent_encoding::percent_decode_str(&params.canonical())
        .decode_utf8_lossy()
        .into_owned()
}

/// One row of the parse table: the query and either the readable canonical form it
/// normalises to, or the key its 400 must name.
type Row = (&'static str, Result<&'static str, &'static str>);

const PARSE_TABLE: &[Row] = &[
    // General rules
    ("", Ok("")),
    ("?", Ok("")),
    ("?w=5", Ok("w=5")),
    ("&&w=5&&", Ok("w=5")),
    ("w=100&h=50", Ok("h=50&w=100")),
    ("v=3&w=10&utm_source=x", Ok("w=10")),
    ("s=abc&sig=x&exp=1&kid=2", Ok("")),
    ("w=1&s=", Ok("w=1")),
    ("W=100", Ok("")),
    ("w=100&w=100", Err("w")),
    ("w=1&h=2&w=3", Err("w")),
    ("w=%31%30", Ok("w=10")),
    ("w=+10+", Ok("w=10")),
    ("w=%2B10", Ok("w=10")),
    // w, h
    ("w=1", Ok("w=1")),
    ("w=16384", Ok("w=16384")),
    ("w=016", Ok("w=16")),
    ("w=0", Err("w")),
    ("w=16385", Err("w")),
    ("h=-350", Err("h")),
    ("w=1.5", Err("w")),
    ("w=1e3", Err("w")),
    ("w=abc", Err("w")),
    ("w=", Err("w")),
    ("w", Err("w")),
    ("h=99999999999999999999999999", Err("h")),
    // f, k
    ("f=COVER", Ok("f=cover")),
    ("f=outside", Ok("f=outside")),
    ("f=crop", Err("f")),
    ("k=Lanczos2", Ok("k=lanczos2")),
    ("k=bilinear", Err("k")),
    ("k=MKS2013", Ok("k=mks2013")),
    ("k=mks2021", Ok("k=mks2021")),
    ("k=mks2020", Err("k")),
    ("k=mks", Err("k")),
    ("k=", Err("k")),
    // p
    ("p=top", Ok("p=north")),
    ("p=right+top", Ok("p=northeast")),
    ("p=right%20top", Ok("p=northeast")),
    ("p=right-top", Ok("p=northeast")),
    ("p=top_right", Ok("p=northeast")),
    ("p=righttop", Ok("p=northeast")),
    ("p=LEFT+BOTTOM", Ok("p=southwest")),
    ("p=bottomleft", Ok("p=southwest")),
    ("p=north-west", Ok("p=northwest")),
    ("p=left", Ok("p=west")),
    ("p=centre", Ok("p=center")),
    ("p=Center", Ok("p=center")),
    ("p=southeast", Ok("p=southeast")),
    ("p=entropy", Ok("p=entropy")),
    ("p=ATTENTION", Ok("p=attention")),
    ("p=face", Ok("p=face")),
    ("p=Face", Ok("p=face")),
    ("p=faces", Err("p")),
    // Focal point: two fractions, x then y; the plan refuses it with p
    ("fp=0.3,0.7", Ok("fp=0.3,0.7")),
    ("fp=0.3%2C0.7", Ok("fp=0.3,0.7")),
    ("fp=+0.30+,+.7+", Ok("fp=0.3,0.7")),
    ("fp=0,1", Ok("fp=0,1")),
    ("fp=1.0,0.0", Ok("fp=1,0")),
    ("fp=-0,0.5", Ok("fp=0,0.5")),
    ("fp=5e-1,0.25", Ok("fp=0.5,0.25")),
    ("fp=0.5,0.5&p=attention", Ok("fp=0.5,0.5&p=attention")),
    ("fp=1.01,0.5", Err("fp")),
    ("fp=0.5,-0.1", Err("fp")),
    ("fp=0.5", Err("fp")),
    ("fp=0.5,0.5,0.5", Err("fp")),
    ("fp=0.5;0.5", Err("fp")),
    ("fp=NaN,0.5", Err("fp")),
    ("fp=inf,0.5", Err("fp")),
    ("fp=x,y", Err("fp")),
    ("fp=,", Err("fp")),
    ("fp", Err("fp")),
    ("p=middle", Err("p")),
    ("p=top+bottom", Err("p")),
    ("p=left+right", Err("p")),
    ("p=right+top+left", Err("p")),
    ("p=", Err("p")),
    // Colours (bg, afbg, fl, t share one parser)
    ("bg=%23ff0000", Ok("bg=ff0000ff")),
    ("bg=FF0000", Ok("bg=ff0000ff")),
    ("bg=F00", Ok("bg=ff0000ff")),
    ("bg=%23f008", Ok("bg=ff000088")),
    ("bg=ff000080", Ok("bg=ff000080")),
    ("bg=red", Ok("bg=ff0000ff")),
    ("bg=RebeccaPurple", Ok("bg=663399ff")),
    ("bg=transparent", Ok("bg=00000000")),
    ("bg=rgb(1,2,3)", Ok("bg=010203ff")),
    ("bg=rgb(+1,+2,+3)", Ok("bg=010203ff")),
    ("bg=RGBA(1,+2,+3,+0.5)", Ok("bg=01020380")),
    ("bg=rgba(1,2,3,0)", Ok("bg=01020300")),
    ("bg={\"r\":1,\"g\":2,\"b\":3}", Ok("bg=010203ff")),
    (
        "bg={\"r\":1,\"g\":2,\"b\":3,\"alpha\":0}",
        Ok("bg=01020300"),
    ),
    ("bg=b64:I2ZmMDAwMA", Ok("bg=ff0000ff")),
    ("bg=b64:I2ZmMDAwMA==", Ok("bg=ff0000ff")),
    ("afbg=white", Ok("afbg=ffffffff")),
    ("fl=%23F0A703", Ok("fl=f0a703ff")),
    ("t=b64:eyJyIjoyNTUsImciOjE2LCJiIjoyNDB9", Ok("t=ff10f0ff")),
    ("bg=%23ff00f", Err("bg")),
    ("bg=%23gggggg", Err("bg")),
    ("bg=notacolour", Err("bg")),
    ("bg=rgb(256,0,0)", Err("bg")),
    ("bg=rgb(1,2)", Err("bg")),
    ("bg=rgba(1,2,3,1.5)", Err("bg")),
    ("bg=rgb(1.5,2,3)", Err("bg")),
    ("bg={\"r\":1,\"g\":2}", Err("bg")),
    ("bg={\"r\":1,\"g\":2,\"b\":3,\"a\":1}", Err("bg")),
    ("bg={\"r\":1,\"g\":2,\"b\":300}", Err("bg")),
    ("bg={\"r\":1,\"g\":2,\"b\":3,\"alpha\":2}", Err("bg")),
    ("bg=", Err("bg")),
    ("bg=b64:!!!", Err("bg")),
    // ex
    ("ex=10", Ok("ex=10")),
    ("ex={\"top\":10}", Ok("ex={\"top\":10}")),
    (
        "ex={\"right\":2,\"top\":1}",
        Ok("ex={\"top\":1,\"right\":2}"),
    ),
    (
        "ex={\"top\":5,\"bottom\":5,\"left\":5,\"right\":5}",
        Ok("ex=5"),
    ),
    ("ex={\"top\":0,\"left\":3}", Ok("ex={\"left\":3}")),
    ("ex=b64:eyJ0b3AiOjEwfQ", Ok("ex={\"top\":10}")),
    ("ex=0", Err("ex")),
    ("ex={}", Err("ex")),
    ("ex={\"top\":0}", Err("ex")),
    ("ex={\"top\":-1}", Err("ex")),
    ("ex={\"top\":16385}", Err("ex")),
    ("ex={\"top\":1.5}", Err("ex")),
    ("ex={\"middle\":1}", Err("ex")),
    ("ex={\"top\":1,\"top\":2}", Err("ex")),
    ("ex=[10]", Err("ex")),
    ("ex={\"top\":10", Err("ex")),
    // cb, ca
    (
        "cb={\"left\":0,\"top\":0,\"width\":100,\"height\":50}",
        Ok("cb={\"left\":0,\"top\":0,\"width\":100,\"height\":50}"),
    ),
    (
        "ca={\"height\":50,\"width\":100,\"top\":65535,\"left\":1}",
        Ok("ca={\"left\":1,\"top\":65535,\"width\":100,\"height\":50}"),
    ),
    ("cb={\"left\":0,\"top\":0,\"width\":100}", Err("cb")),
    (
        "cb={\"left\":0,\"top\":0,\"width\":0,\"height\":5}",
        Err("cb"),
    ),
    (
        "cb={\"left\":65536,\"top\":0,\"width\":1,\"height\":1}",
        Err("cb"),
    ),
    (
        "ca={\"left\":0,\"top\":0,\"width\":16385,\"height\":1}",
        Err("ca"),
    ),
    (
        "ca={\"left\":\"0\",\"top\":0,\"width\":1,\"height\":1}",
        Err("ca"),
    ),
    ("ca=[0,0,1,1]", Err("ca")),
    // tr
    ("tr", Ok("tr=10")),
    ("tr=", Ok("tr=10")),
    ("tr=0", Ok("tr=0")),
    ("tr=255", Ok("tr=255")),
    ("tr=256", Err("tr")),
    ("tr=-1", Err("tr")),
    // r
    ("r=45", Ok("r=45")),
    ("r=-90", Ok("r=270")),
    ("r=360", Ok("r=0")),
    ("r=-720", Ok("r=0")),
    ("r=9223372036854775807", Ok("r=7")),
    ("r=1.5", Err("r")),
    ("r=99999999999999999999", Err("r")),
    ("r=", Err("r")),
    // booleans
    ("flip", Ok("flip=true")),
    ("flip=", Ok("flip=true")),
    ("flip=TRUE", Ok("flip=true")),
    ("flip=1", Ok("flip=true")),
    ("flop=False", Ok("flop=false")),
    ("flop=0", Ok("flop=false")),
    (
        "ng&nr&g&ra&ll",
        Ok("g=true&ll=true&ng=true&nr=true&ra=true"),
    ),
    ("flip=yes", Err("flip")),
    // ng: a flag, or Sharp's negate({alpha})
    ("ng=FALSE", Ok("ng=false")),
    ("ng={\"alpha\":false}", Ok("ng=true")),
    ("ng={\"alpha\":true}", Ok("ng={\"alpha\":true}")),
    ("ng=b64:eyJhbHBoYSI6dHJ1ZX0", Ok("ng={\"alpha\":true}")),
    ("ng={}", Err("ng")),
    ("ng={\"alpha\":1}", Err("ng")),
    ("ng={\"alpha\":\"true\"}", Err("ng")),
    ("ng={\"alpha\":true,\"colour\":true}", Err("ng")),
    ("ng=[true]", Err("ng")),
    ("ng=yes", Err("ng")),
    ("ll=2", Err("ll")),
    // af
    ("af=[[1,0],[0,1]]", Ok("af=[1,0,0,1]")),
    ("af=[1,0.5,-0.25,2]", Ok("af=[1,0.5,-0.25,2]")),
    ("af=[100,0,0,-100]", Ok("af=[100,0,0,-100]")),
    ("af=b64:W1sxLDBdLFswLDFdXQ", Ok("af=[1,0,0,1]")),
    ("af=[[0,0],[0,0]]", Err("af")),
    ("af=[1,2,2,4]", Err("af")),
    ("af=[1,2,3]", Err("af")),
    ("af=[[1,0],[0]]", Err("af")),
    ("af=[101,0,0,1]", Err("af")),
    ("af=[1,0,0,\"1\"]", Err("af")),
    ("af={\"a\":1}", Err("af")),
    ("af=1", Err("af")),
    // afi
    ("afi=BICUBIC", Ok("afi=bicubic")),
    ("afi=locallyBoundedBicubic", Ok("afi=lbb")),
    ("afi=vertexsplitquadraticbasisspline", Ok("afi=vsqbs")),
    ("afi=cubic", Err("afi")),
    // sh
    ("sh", Ok("sh")),
    ("sh=", Ok("sh")),
    ("sh=2", Ok("sh=2")),
    ("sh=0.000001", Ok("sh=1e-6")),
    ("sh={\"sigma\":2}", Ok("sh=2")),
    ("sh={}", Ok("sh=0.5")),
    ("sh={\"sigma\":2,\"m1\":1}", Ok("sh=2")),
    (
        "sh={\"y3\":30,\"sigma\":2,\"m1\":0}",
        Ok("sh={\"sigma\":2,\"m1\":0,\"y3\":30}"),
    ),
    ("sh=b64:MS41", Ok("sh=1.5")),
    ("sh=0", Err("sh")),
    ("sh=10.5", Err("sh")),
    ("sh={\"radius\":1}", Err("sh")),
    ("sh={\"m1\":-1}", Err("sh")),
    ("sh={\"m2\":1000001}", Err("sh")),
    ("sh=[1]", Err("sh")),
    // md
    ("md", Ok("md=3")),
    ("md=5", Ok("md=5")),
    ("md=51", Ok("md=51")),
    ("md=52", Err("md")),
    ("md=0", Err("md")),
    // bl
    ("bl=0.3", Ok("bl=0.3")),
    ("bl=2.2", Ok("bl=2.2")),
    ("bl=1e3", Ok("bl=1000")),
    ("bl=0.29", Err("bl")),
    ("bl=1000.1", Err("bl")),
    ("bl=NaN", Err("bl")),
    ("bl=inf", Err("bl")),
    ("bl=", Err("bl")),
    // gm
    ("gm", Ok("gm=2.2")),
    ("gm=2.2", Ok("gm=2.2")),
    ("gm=[2.2]", Ok("gm=2.2")),
    ("gm=[2.2,2.2]", Ok("gm=2.2")),
    ("gm=[2.2,2.3]", Ok("gm=[2.2,2.3]")),
    ("gm=[1,3]", Ok("gm=[1,3]")),
    ("gm=0.9", Err("gm")),
    ("gm=3.1", Err("gm")),
    ("gm=[]", Err("gm")),
    ("gm=[1,2,3]", Err("gm")),
    ("gm=[2,\"2\"]", Err("gm")),
    // cl
    (
        "cl={\"width\":3,\"height\":4}",
        Ok("cl={\"width\":3,\"height\":4}"),
    ),
    (
        "cl={\"width\":3,\"height\":4,\"maxSlope\":3}",
        Ok("cl={\"width\":3,\"height\":4}"),
    ),
    (
        "cl={\"maxSlope\":0,\"height\":1024,\"width\":1}",
        Ok("cl={\"width\":1,\"height\":1024,\"maxSlope\":0}"),
    ),
    ("cl={\"width\":3}", Err("cl")),
    ("cl={\"width\":0,\"height\":3}", Err("cl")),
    ("cl={\"width\":1025,\"height\":3}", Err("cl")),
    ("cl={\"width\":3,\"height\":3,\"maxSlope\":101}", Err("cl")),
    ("cl={\"width\":3,\"height\":3,\"maxSlope\":1.5}", Err("cl")),
    // cv
    (
        "cv={\"width\":3,\"height\":3,\"kernel\":[-1,0,1,-2,0,2,-1,0,1]}",
        Ok("cv={\"width\":3,\"height\":3,\"kernel\":[-1,0,1,-2,0,2,-1,0,1]}"),
    ),
    (
        "cv={\"width\":1,\"height\":3,\"kernel\":[1,2,1],\"scale\":4,\"offset\":0}",
        Ok("cv={\"width\":1,\"height\":3,\"kernel\":[1,2,1]}"),
    ),
    (
        "cv={\"width\":1,\"height\":1,\"kernel\":[2],\"scale\":-1,\"offset\":10}",
        Ok("cv={\"width\":1,\"height\":1,\"kernel\":[2],\"scale\":-1,\"offset\":10}"),
    ),
    (
        "cv={\"width\":3,\"height\":3,\"kernel\":[1,2,3]}",
        Err("cv"),
    ),
    ("cv={\"width\":2,\"height\":1,\"kernel\":[1,1]}", Err("cv")),
    ("cv={\"width\":17,\"height\":1,\"kernel\":[]}", Err("cv")),
    (
        "cv={\"width\":1,\"height\":1,\"kernel\":[1],\"scale\":0}",
        Err("cv"),
    ),
    ("cv={\"width\":1,\"height\":1,\"kernel\":[1e7]}", Err("cv")),
    ("cv={\"width\":1,\"height\":1,\"kernel\":1}", Err("cv")),
    ("cv={\"width\":1,\"height\":1}", Err("cv")),
    // th
    ("th", Ok("th=128")),
    ("th=0", Ok("th=0")),
    ("th=255", Ok("th=255")),
    ("th=256", Err("th")),
    ("th=-1", Err("th")),
    // bo
    (
        "bo={\"operator\":\"AND\",\"operand\":\"masks/a.png\"}",
        Ok("bo={\"operator\":\"and\",\"operand\":\"masks/a.png\"}"),
    ),
    (
        "bo={\"operand\":\"/masks/a.png\",\"operator\":\"eor\"}",
        Ok("bo={\"operator\":\"eor\",\"operand\":\"masks/a.png\"}"),
    ),
    (
        "bo={\"operator\":\"and\",\"operand\":\"https://evil.example/a.png\"}",
        Err("bo"),
    ),
    (
        "bo={\"operator\":\"and\",\"operand\":\"//evil.example/a.png\"}",
        Err("bo"),
    ),
    (
        "bo={\"operator\":\"and\",\"operand\":\"../secret.png\"}",
        Err("bo"),
    ),
    (
        "bo={\"operator\":\"and\",\"operand\":\"a/../b.png\"}",
        Err("bo"),
    ),
    (
        "bo={\"operator\":\"and\",\"operand\":\"a//b.png\"}",
        Err("bo"),
    ),
    (
        "bo={\"operator\":\"and\",\"operand\":\"a\\\\b.png\"}",
        Err("bo"),
    ),
    (
        "bo={\"operator\":\"and\",\"operand\":\"a\\u0000b.png\"}",
        Err("bo"),
    ),
    ("bo={\"operator\":\"and\",\"operand\":\"\"}", Err("bo")),
    ("bo={\"operator\":\"and\",\"operand\":\"/\"}", Err("bo")),
    ("bo={\"operator\":\"xor\",\"operand\":\"a.png\"}", Err("bo")),
    ("bo={\"operator\":\"and\"}", Err("bo")),
    ("bo={\"operator\":\"and\",\"operand\":1}", Err("bo")),
    (
        "bo={\"operator\":\"and\",\"operand\":\"a.png\",\"url\":\"x\"}",
        Err("bo"),
    ),
    // li
    ("li=[1.5,10]", Ok("li=[1.5,10]")),
    ("li=[[1.5],[10]]", Ok("li=[1.5,10]")),
    ("li=[[1,2,3],[4,5,6]]", Ok("li=[[1,2,3],[4,5,6]]")),
    ("li=[[1,2],[3]]", Err("li")),
    ("li=[[1,2,3,4,5],[1,2,3,4,5]]", Err("li")),
    ("li=[[],[]]", Err("li")),
    ("li=[1]", Err("li")),
    ("li=[1,[2]]", Err("li")),
    ("li=[1,2000000]", Err("li")),
    // rc
    (
        "rc=[[1,0,0],[0,1,0],[0,0,1]]",
        Ok("rc=[[1,0,0],[0,1,0],[0,0,1]]"),
    ),
    (
        "rc=[[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]",
        Ok("rc=[[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]"),
    ),
    ("rc=[[1,0],[0,1]]", Err("rc")),
    ("rc=[[1,0,0],[0,1,0]]", Err("rc")),
    ("rc=[[1,0,0,0],[0,1,0,0],[0,0,1,0]]", Err("rc")),
    ("rc=[[1,0,0],[0,1,0],[0,0]]", Err("rc")),
    ("rc=[1,0,0,0,1,0,0,0,1]", Err("rc")),
    // mo
    (
        "mo={\"brightness\":2}",
        Ok("mo={\"brightness\":2,\"saturation\":1,\"hue\":0,\"lightness\":0}"),
    ),
    (
        "mo={\"hue\":-90,\"lightness\":-100}",
        Ok("mo={\"brightness\":1,\"saturation\":1,\"hue\":270,\"lightness\":-100}"),
    ),
    ("mo={}", Err("mo")),
    ("mo={\"hue\":1.5}", Err("mo")),
    ("mo={\"brightness\":-1}", Err("mo")),
    ("mo={\"saturation\":101}", Err("mo")),
    ("mo={\"lightness\":101}", Err("mo")),
    ("mo={\"gamma\":1}", Err("mo")),
    // dpr: one decimal at most, 1-4, canonical without trailing zeros
    ("dpr=2", Ok("dpr=2")),
    ("dpr=2.0", Ok("dpr=2")),
    ("dpr=1.5", Ok("dpr=1.5")),
    ("dpr=1.50", Ok("dpr=1.5")),
    ("dpr=4", Ok("dpr=4")),
    ("dpr=1", Ok("dpr=1")),
    ("dpr=0.5", Err("dpr")),
    ("dpr=4.1", Err("dpr")),
    ("dpr=1.55", Err("dpr")),
    ("dpr=10", Err("dpr")),
    ("dpr=2x", Err("dpr")),
    ("dpr=.5", Err("dpr")),
    ("dpr=2.", Err("dpr")),
    ("dpr=-2", Err("dpr")),
    ("dpr=", Err("dpr")),
    // pc, tc
    ("pc=srgb", Ok("pc=srgb")),
    ("pc=RGB", Ok("pc=srgb")),
    ("tc=B-W", Ok("tc=b-w")),
    ("tc=grey16", Ok("tc=grey16")),
    ("pc=scrgb", Err("pc")),
    ("tc=multiband", Err("tc")),
    ("tc=bw", Err("tc")),
    // ea
    ("ea", Ok("ea=1")),
    ("ea=0.1", Ok("ea=0.1")),
    ("ea=0", Ok("ea=0")),
    ("ea=1.5", Err("ea")),
    ("ea=-0.1", Err("ea")),
    // ec
    ("ec=0", Ok("ec=red")),
    ("ec=3", Ok("ec=alpha")),
    ("ec=GREEN", Ok("ec=green")),
    ("ec=4", Err("ec")),
    ("ec=luma", Err("ec")),
    // jc
    ("jc=[\"a.png\"]", Ok("jc=[\"a.png\"]")),
    (
        "jc=[\"/a.png\",\"b/c.png\",\"d.png\"]",
        Ok("jc=[\"a.png\",\"b/c.png\",\"d.png\"]"),
    ),
    ("jc=b64:WyJtYXNrcy9hLnBuZyJd", Ok("jc=[\"masks/a.png\"]")),
    ("jc=[]", Err("jc")),
    ("jc=[\"a\",\"b\",\"c\",\"d\"]", Err("jc")),
    ("jc=[\"http://x.example/a.png\"]", Err("jc")),
    ("jc=[1]", Err("jc")),
    ("jc=\"a.png\"", Err("jc")),
    // bb
    ("bb=EOR", Ok("bb=eor")),
    ("bb=xor", Err("bb")),
    // wm
    ("wm=logo.png", Ok("wm=logo.png")),
    ("wm=Company_Logo-2.PNG", Ok("wm=Company_Logo-2.PNG")),
    ("wm=../logo.png", Err("wm")),
    ("wm=a/b.png", Err("wm")),
    ("wm=a%5Cb.png", Err("wm")),
    ("wm=..", Err("wm")),
    ("wm=logo%20mark.png", Err("wm")),
    ("wm=", Err("wm")),
    // gr
    ("gr=SouthWest", Ok("gr=southwest")),
    ("gr=left+top", Ok("gr=northwest")),
    ("gr=centre", Ok("gr=center")),
    ("gr=entropy", Err("gr")),
    // q, fm
    ("q=1", Ok("q=1")),
    ("q=100", Ok("q=100")),
    ("q=0", Err("q")),
    ("q=101", Err("q")),
    // q=auto: a keyword beside the integers, any case, one canonical form
    ("q=auto", Ok("q=auto")),
    ("q=AUTO", Ok("q=auto")),
    ("q=+Auto+", Ok("q=auto")),
    ("q=aut", Err("q")),
    ("q=autos", Err("q")),
    ("q=auto1", Err("q")),
    ("q=auto,80", Err("q")),
    ("q=", Err("q")),
    ("q", Err("q")),
    ("fm=JPG", Ok("fm=jpeg")),
    ("fm=tif", Ok("fm=tiff")),
    ("fm=avif", Ok("fm=avif")),
    ("fm=heif", Err("fm")),
    ("fm=heic", Err("fm")),
    ("fm=jp2", Err("fm")),
    ("fm=raw", Err("fm")),
    ("fm=bmp", Err("fm")),
    // fm=auto: a keyword like the others, resolved by the plan
    ("fm=auto", Ok("fm=auto")),
    ("fm=AUTO", Ok("fm=auto")),
    ("w=10&fm=+auto+", Ok("fm=auto&w=10")),
    ("fm=automatic", Err("fm")),
    ("fm", Err("fm")),
    // Descriptions in place of an image: a keyword like the others too
    ("fm=json", Ok("fm=json")),
    ("fm=JSON", Ok("fm=json")),
    ("fm=ThumbHash", Ok("fm=thumbhash")),
    ("w=100&fm=blurhash", Ok("fm=blurhash&w=100")),
    ("fm=js", Err("fm")),
    ("fm=text", Err("fm")),
    // bhc: XxY, each 1-9
    ("fm=blurhash&bhc=4x3", Ok("bhc=4x3&fm=blurhash")),
    ("bhc=9x9", Ok("bhc=9x9")),
    ("bhc=1x1", Ok("bhc=1x1")),
    ("bhc=5X4", Ok("bhc=5x4")),
    ("bhc=+3x2+", Ok("bhc=3x2")),
    ("bhc=3+x+2", Ok("bhc=3x2")),
    ("bhc=0x3", Err("bhc")),
    ("bhc=4x0", Err("bhc")),
    ("bhc=10x3", Err("bhc")),
    ("bhc=4x10", Err("bhc")),
    ("bhc=04x3", Err("bhc")),
    ("bhc=4", Err("bhc")),
    ("bhc=4x", Err("bhc")),
    ("bhc=x3", Err("bhc")),
    ("bhc=4x3x2", Err("bhc")),
    ("bhc=4*3", Err("bhc")),
    ("bhc=-4x3", Err("bhc")),
    ("bhc=4.0x3", Err("bhc")),
    ("bhc=", Err("bhc")),
    ("bhc", Err("bhc")),
    // preset: 1-8 names of A-Z a-z 0-9 _ -, kept in order (order matters)
    ("preset=thumb", Ok("preset=thumb")),
    ("preset=card,retina", Ok("preset=card,retina")),
    ("preset=retina,card", Ok("preset=retina,card")),
    ("preset=+a_1+,+B-2", Ok("preset=a_1,B-2")),
    ("preset=a,b,c,d,e,f,g,h", Ok("preset=a,b,c,d,e,f,g,h")),
    ("preset=a,b,c,d,e,f,g,h,i", Err("preset")),
    ("preset=", Err("preset")),
    ("preset", Err("preset")),
    ("preset=a,,b", Err("preset")),
    ("preset=a,", Err("preset")),
    ("preset=../thumb", Err("preset")),
    ("preset=thumb.json", Err("preset")),
    ("preset=th%20umb", Err("preset")),
    ("preset=b64:dGh1bWI", Err("preset")),
    // b64 is only for object, array and colour values
    ("w=b64:MTA", Err("w")),
    ("wm=b64:YQ", Err("wm")),
];

#[test]
fn parse_table() {
    let mut failures = Vec::new();
    for (query, expected) in PARSE_TABLE {
        let outcome = match Params::parse(query) {
            Ok(params) => Ok(readable(&params)),
            Err(Error::InvalidParameter { key, .. }) => Err(key),
            Err(other) => Err(format!("non-parameter error {other:?}")),
        };
        let matches = match (&outcome, expected) {
            (Ok(got), Ok(want)) => got == want,
            (Err(got), Err(want)) => got == want,
            _ => false,
        };
        if !matches {
            failures.push(format!("{query:?}: expected {expected:?}, got {outcome:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_ok_row_round_trips_and_is_stable() {
    for (query, expected) in PARSE_TABLE {
        if expected.is_err() {
            continue;
        }
        let params = accepts(query);
        let canonical = params.canonical();
        assert_eq!(
            Params::parse(&canonical).ok(),
            Some(params.clone()),
            "{query}"
        );
        assert_eq!(accepts(&canonical).canonical(), canonical, "{query}");
    }
}

// ---------------------------------------------------------------- errors

#[test]
fn error_names_key_raw_value_and_expectation() {
    let (key, value, expected) = rejects("h=-350");
    assert_eq!((key.as_str(), value.as_str()), ("h", "-350"));
    assert!(
        expected.contains("positive integer (1-16384)"),
        "{expected}"
    );
    let message = Error::invalid_parameter(key, value, expected).public_message();
    assert!(
        message.contains("'h'") && message.contains("-350"),
        "{message}"
    );
}

/// `q` names both of its forms when a value is neither.
#[test]
fn a_bad_q_names_the_integers_and_auto() {
    for bad in ["q=aut", "q=0", "q=101", "q=auto+auto", "q=8.5"] {
        let (key, _, expected) = rejects(bad);
        assert_eq!(key, "q", "{bad}");
        assert_eq!(expected, "an integer 1-100 or auto", "{bad}");
    }
    assert_eq!(accepts("q=auto").q, Some(Quality::Auto));
    assert_eq!(accepts("q=30").q, Some(Quality::Fixed(30)));
}

#[test]
fn a_focal_point_out_of_range_says_what_fp_takes() {
    let (key, value, expected) = rejects("fp=1.5,0.5");
    assert_eq!((key.as_str(), value.as_str()), ("fp", "1.5,0.5"));
    assert!(
        expected.contains("two numbers 0-1") && expected.contains("e.g. 0.3,0.7"),
        "{expected}"
    );
}

#[test]
fn error_value_is_the_decoded_raw_value() {
    let (_, value, _) = rejects("w=%20abc+");
    assert_eq!(value, " abc ");
    let (_, value, _) = rejects("ex=b64:e30");
    assert_eq!(value, "b64:e30", "a b64 value is echoed as sent");
}

#[test]
fn very_long_values_are_cut_in_errors() {
    let long = "x".repeat(5000);
    let (_, value, _) = rejects(&format!("wm={long}"));
    assert!(
        value.chars().count() <= 201 && value.ends_with('…'),
        "{value}"
    );
}

#[test]
fn repeated_key_is_rejected_whatever_the_values() {
    for query in [
        "w=1&w=2",
        "w=1&w=1",
        "flip&flip",
        "sh&sh=2",
        "bg=red&bg=red",
    ] {
        let (_, _, expected) = rejects(query);
        assert!(expected.contains("more than once"), "{query}: {expected}");
    }
}

#[test]
fn repeated_unknown_or_reserved_keys_are_fine() {
    assert_eq!(accepts("v=1&v=2&s=a&s=b&w=3").canonical(), "w=3");
}

#[test]
fn json_field_errors_name_the_field() {
    let (_, _, expected) = rejects("ex={\"top\":1,\"middle\":2}");
    assert!(expected.contains("\"middle\""), "{expected}");
    let (_, _, expected) = rejects("cb={\"left\":0,\"top\":0,\"width\":1}");
    assert!(expected.contains("\"height\" is required"), "{expected}");
    let (_, _, expected) = rejects("cl={\"width\":3,\"height\":3,\"maxSlope\":101}");
    assert!(expected.contains("\"maxSlope\""), "{expected}");
    let (_, _, expected) = rejects("ex={\"top\":1,\"top\":2}");
    assert!(expected.contains("more than once"), "{expected}");
}

#[test]
fn malformed_json_says_so() {
    for query in [
        "ex={top:1}",
        "ex={\"top\":1,}",
        "ex={\"top\":01}",
        "ex={\"top\":1}x",
        "ex={\"top\":NaN}",
        "ex={\"top\":Infinity}",
        "li=[1,2",
        "af=[1e999,0,0,1]",
        "jc=[\"a\\ud800\"]",
        "jc=[\"a\tb\"]",
    ] {
        let (_, _, expected) = rejects(query);
        assert!(
            expected.contains("malformed JSON") || expected.contains("too large"),
            "{query}: {expected}"
        );
    }
}

#[test]
fn deep_json_is_refused_without_overflowing_the_stack() {
    let deep = format!("af={}{}", "[".repeat(100_000), "]".repeat(100_000));
    let (key, _, expected) = rejects(&deep);
    assert_eq!(key, "af");
    assert!(expected.contains("nested deeper"), "{expected}");
}

#[test]
fn huge_numbers_are_refused() {
    let nines = "9".repeat(10_000);
    for key in [
        "w", "h", "r", "q", "tr", "md", "th", "bl", "ea", "sh", "gm", "ex",
    ] {
        let (got, _, _) = rejects(&format!("{key}={nines}"));
        assert_eq!(got, key);
    }
    let (key, _, _) = rejects(&format!(
        "cv={{\"width\":{nines},\"height\":1,\"kernel\":[1]}}"
    ));
    assert_eq!(key, "cv");
}

#[test]
fn invalid_utf8_after_decoding_is_a_400_for_known_keys_only() {
    let (key, value, expected) = rejects("wm=%FF%FE");
    assert_eq!(key, "wm");
    assert!(value.contains('\u{fffd}'), "{value}");
    assert!(expected.contains("UTF-8"), "{expected}");
    assert!(accepts("zz=%FF&%FF=1&w=2").canonical() == "w=2");
}

#[test]
fn unsupported_formats_list_the_supported_ones() {
    for format in ["heif", "heic", "jp2", "raw", "bmp"] {
        let (_, value, expected) = rejects(&format!("fm={format}"));
        assert_eq!(value, format);
        for supported in [
            "jpeg",
            "png",
            "webp",
            "gif",
            "tiff",
            "avif",
            "auto",
            "json",
            "thumbhash",
            "blurhash",
        ] {
            assert!(expected.contains(supported), "{expected}");
        }
    }
}

#[test]
fn unsupported_colourspaces_are_named_and_supported_ones_listed() {
    for space in [
        "multiband",
        "histogram",
        "labq",
        "cmc",
        "labs",
        "yxy",
        "fourier",
        "matrix",
        "scrgb",
        "last",
    ] {
        let (_, _, expected) = rejects(&format!("tc={space}"));
        assert!(
            expected.contains(&format!("{space} is not supported")),
            "{expected}"
        );
        for supported in [
            "srgb", "rgb16", "b-w", "grey16", "lab", "lch", "cmyk", "hsv", "xyz",
        ] {
            assert!(expected.contains(supported), "{expected}");
        }
    }
}

#[test]
fn url_operands_say_operands_are_store_keys() {
    for operand in [
        "https://x.example/a.png",
        "//x.example/a.png",
        "s3://bucket/a.png",
    ] {
        let query = format!("bo={{\"operator\":\"and\",\"operand\":\"{operand}\"}}");
        let (_, _, expected) = rejects(&query);
        assert!(expected.contains("not URLs"), "{expected}");
    }
}

#[test]
fn convolve_size_mismatch_names_the_sizes() {
    let (_, _, expected) = rejects("cv={\"width\":3,\"height\":5,\"kernel\":[1,2,3]}");
    assert!(
        expected.contains("has 3 numbers") && expected.contains("3×5 = 15"),
        "{expected}"
    );
}

#[test]
fn recomb_size_error_names_the_accepted_sizes() {
    let (_, _, expected) = rejects("rc=[[1,0],[0,1]]");
    assert!(expected.contains("3×3 or 4×4"), "{expected}");
}

// ---------------------------------------------------------------- typed values

#[test]
fn typed_values_of_every_kind() {
    let p = accepts(
        "w=300&h=200&f=contain&p=right+top&bg=%23ff000080&k=nearest&tr&r=-90&flip&flop=0\
         &af=[[1,0.5],[0,1]]&afi=nohalo&sh&md&bl=2.5&gm=[2,2.4]&ng=1&th&ea=0.25&ec=1\
         &bb=or&wm=logo.png&gr=southeast&q=80&fm=webp&ll=true&pc=lab&tc=cmyk",
    );
    assert_eq!(p.w, Some(300));
    assert_eq!(p.h, Some(200));
    assert_eq!(p.f, Some(Fit::Contain));
    assert_eq!(p.p, Some(Position::Gravity(Gravity::NorthEast)));
    assert_eq!(p.bg, Some(Rgba::new(255, 0, 0, 128)));
    assert_eq!(p.k, Some(Kernel::Nearest));
    assert_eq!(p.tr, Some(DEFAULT_TRIM_THRESHOLD));
    assert_eq!(p.r, Some(270));
    assert_eq!((p.flip, p.flop), (Some(true), Some(false)));
    assert_eq!(p.af, Some([1.0, 0.5, 0.0, 1.0]));
    assert_eq!(p.afi, Some(Interpolator::Nohalo));
    assert_eq!(p.sh, Some(Sharpen::Mild));
    assert_eq!(p.md, Some(3));
    assert_eq!(p.bl, Some(2.5));
    assert_eq!(
        p.gm,
        Some(Gamma {
            input: 2.0,
            output: 2.4
        })
    );
    assert_eq!(p.ng, Some(Negate::COLOUR));
    assert_eq!(p.th, Some(128));
    assert_eq!(p.ea, Some(0.25));
    assert_eq!(p.ec, Some(Channel::Green));
    assert_eq!(p.ec.map(Channel::index), Some(1));
    assert_eq!(p.bb, Some(BitwiseOperator::Or));
    assert_eq!(p.wm.as_ref().map(WatermarkName::as_str), Some("logo.png"));
    assert_eq!(p.gr, Some(Gravity::SouthEast));
    assert_eq!(p.q, Some(Quality::Fixed(80)));
    assert_eq!(p.fm, Some(Format::Webp));
    assert_eq!(p.fm.and_then(Format::mime_type), Some("image/webp"));
    assert_eq!(Format::Auto.mime_type(), None);
    assert_eq!(p.ll, Some(true));
    assert_eq!(
        (p.pc, p.tc),
        (Some(Colourspace::Lab), Some(Colourspace::Cmyk))
    );
    assert!(p.ex.is_none() && p.cv.is_none() && p.jc.is_none());
}

#[test]
fn typed_object_values() {
    let p = accepts(
        "ex={\"left\":4}&cb={\"left\":1,\"top\":2,\"width\":3,\"height\":4}\
         &cl={\"width\":8,\"height\":9}&cv={\"width\":3,\"height\":1,\"kernel\":[1,1,1],\"offset\":5}\
         &bo={\"operator\":\"eor\",\"operand\":\"/x/y.png\"}&li=[[1,2],[3,4]]\
         &rc=[[1,2,3],[4,5,6],[7,8,9]]&mo={\"saturation\":0.5,\"hue\":400}&jc=[\"a\",\"b\"]\
         &sh={\"sigma\":1,\"x1\":3}&t={\"r\":255,\"g\":16,\"b\":240}",
    );
    assert_eq!(
        p.ex,
        Some(Extend {
            left: 4,
            ..Extend::default()
        })
    );
    assert_eq!(
        p.cb,
        Some(Region {
            left: 1,
            top: 2,
            width: 3,
            height: 4
        })
    );
    assert_eq!(
        p.cl,
        Some(Clahe {
            width: 8,
            height: 9,
            max_slope: 3
        })
    );
    assert_eq!(
        p.cv,
        Some(Convolve {
            width: 3,
            height: 1,
            kernel: vec![1.0, 1.0, 1.0],
            scale: 3.0,
            offset: 5.0
        })
    );
    let bo = p.bo.expect("bo");
    assert_eq!(bo.operator, BitwiseOperator::Eor);
    assert_eq!(bo.operand.as_str(), "x/y.png");
    assert_eq!(
        p.li,
        Some(Linear {
            a: vec![1.0, 2.0],
            b: vec![3.0, 4.0]
        })
    );
    assert_eq!(
        p.rc,
        Some(Recomb::Three([
            [1.0, 2.0, 3.0],
            [4.0, 5.0, 6.0],
            [7.0, 8.0, 9.0]
        ]))
    );
    assert_eq!(
        p.mo,
        Some(Modulate {
            saturation: 0.5,
            hue: 40,
            ..Modulate::IDENTITY
        })
    );
    let jc: Vec<&str> = p.jc.iter().flatten().map(StoreKey::as_str).collect();
    assert_eq!(jc, ["a", "b"]);
    assert_eq!(
        p.sh,
        Some(Sharpen::Gaussian(SharpenOptions {
            sigma: 1.0,
            x1: 3.0,
            ..SharpenOptions::DEFAULT
        }))
    );
    assert_eq!(p.t, Some(Rgba::new(255, 16, 240, 255)));
}

#[test]
fn convolve_kernel_summing_to_zero_defaults_scale_to_one() {
    let p = accepts("cv={\"width\":3,\"height\":1,\"kernel\":[-1,0,1]}");
    assert_eq!(p.cv.map(|cv| cv.scale), Some(1.0));
}

#[test]
fn every_colour_syntax_gives_the_same_rgba() {
    let want = Some(Rgba::new(0x66, 0x33, 0x99, 255));
    for value in [
        "663399",
        "%23663399",
        "663399ff",
        "%23663399FF",
        "639",
        "%23639f",
        "rebeccapurple",
        "REBECCAPURPLE",
        "rgb(102,51,153)",
        "rgb(+102+,+51+,+153+)",
        "rgba(102,51,153,1)",
        "{\"r\":102,\"g\":51,\"b\":153}",
        "{\"r\":102,\"g\":51,\"b\":153,\"alpha\":1}",
        "b64:eyJyIjoxMDIsImciOjUxLCJiIjoxNTN9",
        "b64:IzY2MzM5OQ",
    ] {
        for key in ["bg", "afbg", "fl", "t"] {
            let p = accepts(&format!("{key}={value}"));
            let got = match key {
                "bg" => p.bg,
                "afbg" => p.afbg,
                "fl" => p.fl,
                _ => p.t,
            };
            assert_eq!(got, want, "{key}={value}");
        }
    }
}

#[test]
fn all_css_named_colours_are_known() {
    assert_eq!(color::CSS_NAMED_COLOURS.len(), 148);
    for (name, rgb) in color::CSS_NAMED_COLOURS {
        let p = accepts(&format!("bg={name}"));
        assert_eq!(
            p.bg.map(Rgba::to_hex),
            Some(format!("{rgb:06x}ff")),
            "{name}"
        );
    }
    let names: Vec<&str> = color::CSS_NAMED_COLOURS.iter().map(|(n, _)| *n).collect();
    // Hex is tried before names: no name may also read as hex digits.
    assert!(names
        .iter()
        .all(|name| !name.bytes().all(|b| b.is_ascii_hexdigit())));
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "binary search needs a sorted table");
}

#[test]
fn alpha_rounds_to_nearest() {
    let alpha = |a: &str| accepts(&format!("bg=rgba(0,0,0,{a})")).bg.map(|c| c.a);
    assert_eq!(alpha("0.5"), Some(128));
    assert_eq!(alpha("0.499"), Some(127));
    assert_eq!(alpha("1"), Some(255));
    assert_eq!(alpha("0"), Some(0));
}

// ---------------------------------------------------------------- decoding and encoding

#[test]
fn percent_decoding_happens_exactly_once() {
    // %2523 decodes once to the text "%23", not to "#".
    let (_, value, _) = rejects("bg=%2523ff0000");
    assert_eq!(value, "%23ff0000");
    let p = accepts("bo={\"operator\":\"and\",\"operand\":\"a%2541.png\"}");
    assert_eq!(
        p.bo.map(|bo| bo.operand.to_string()),
        Some("a%41.png".to_string())
    );
}

#[test]
fn from_pairs_takes_decoded_values_as_they_are() {
    let pairs = |value: &str| vec![("wm".to_string(), value.to_string())];
    assert!(Params::from_pairs(pairs("a%41.png")).is_err());
    assert_eq!(
        Params::from_pairs(pairs("aA.png"))
            .map(|p| p.canonical())
            .ok(),
        Some("wm=aA.png".to_string())
    );
    assert_eq!(accepts("wm=a%41.png").canonical(), "wm=aA.png");
    let from_pairs = Params::from_pairs(vec![
        ("w".to_string(), "10".to_string()),
        ("v".to_string(), "x".to_string()),
        ("p".to_string(), "right top".to_string()),
    ]);
    assert_eq!(from_pairs.ok(), Some(accepts("p=right+top&w=10&v=x")));
}

#[test]
fn plus_is_a_space_and_encoded_plus_is_a_plus() {
    let p = accepts("bo={\"operator\":\"and\",\"operand\":\"my+file%2Bv2.png\"}");
    assert_eq!(
        p.bo.as_ref().map(|bo| bo.operand.as_str()),
        Some("my file+v2.png")
    );
    let canonical = p.canonical();
    assert!(canonical.contains("my%20file%2Bv2.png"), "{canonical}");
    assert_eq!(accepts(&canonical), p);
}

#[test]
fn canonical_encodes_json_and_non_ascii() {
    assert_eq!(
        accepts("ex={\"top\":10}").canonical(),
        "ex=%7B%22top%22:10%7D"
    );
    assert_eq!(accepts("af=[[1,0],[0,1]]").canonical(), "af=%5B1,0,0,1%5D");
    let p = accepts("jc=[\"caf%C3%A9/%26%3D%23.png\"]");
    let canonical = p.canonical();
    assert_eq!(canonical, "jc=%5B%22caf%C3%A9/%26%3D%23.png%22%5D");
    assert_eq!(accepts(&canonical), p);
}

#[test]
fn canonical_escapes_quotes_inside_store_keys() {
    let p = accepts("jc=[\"a%5C%22b.png\"]");
    assert_eq!(p.jc.as_ref().map(|keys| keys[0].as_str()), Some("a\"b.png"));
    assert_eq!(Params::parse(&p.canonical()).ok(), Some(p));
}

#[test]
fn canonical_sorts_keys_and_empty_params_give_empty_string() {
    assert_eq!(Params::default().canonical(), "");
    let p = accepts("wm=a.png&q=5&bg=red&afbg=red&af=[1,0,0,1]&w=9");
    assert_eq!(
        readable(&p),
        "af=[1,0,0,1]&afbg=ff0000ff&bg=ff0000ff&q=5&w=9&wm=a.png"
    );
}

#[test]
fn equivalent_spellings_share_one_canonical_form() {
    let groups: &[&[&str]] = &[
        &["p=top", "p=north", "p=TOP", "p=North"],
        &[
            "p=left+top",
            "p=top-left",
            "p=lefttop",
            "p=northwest",
            "p=north_west",
        ],
        &[
            "bg=red",
            "bg=%23f00",
            "bg=ff0000ff",
            "bg=rgb(255,0,0)",
            "bg=b64:I2ZmMDAwMA",
        ],
        &["r=270", "r=-90", "r=630"],
        &["fm=jpg", "fm=jpeg", "fm=JPEG"],
        &["ex=5", "ex={\"top\":5,\"bottom\":5,\"left\":5,\"right\":5}"],
        &["gm=2.2", "gm=[2.2]", "gm=[2.2,2.2]", "gm"],
        &[
            "sh=1.5",
            "sh={\"sigma\":1.5}",
            "sh={\"sigma\":1.5,\"m2\":2}",
            "sh=b64:MS41",
        ],
        &["w=10&flip", "flip=true&w=010", "flip=1&w=10&v=2"],
    ];
    for group in groups {
        let first = accepts(group[0]);
        for query in &group[1..] {
            assert_eq!(accepts(query), first, "{query} vs {}", group[0]);
            assert_eq!(accepts(query).canonical(), first.canonical());
        }
    }
}

// ---------------------------------------------------------------- the table

const BRIEF_KEYS: &str =
    "w h f p fp bg k ex dpr cb ca tr r flip flop af afbg afi sh md bl fl gm ng nr \
     cl cv th uf bo li rc mo t g pc tc ra ea ec jc bb wm gr q fm bhc ll preset";

/// One valid value per key: every key must parse, render and round-trip.
const SAMPLES: &[(&str, &str)] = &[
    ("w", "10"),
    ("h", "10"),
    ("f", "fill"),
    ("p", "entropy"),
    ("fp", "0.3,0.7"),
    ("bg", "red"),
    ("k", "cubic"),
    ("ex", "{\"bottom\":3}"),
    ("dpr", "1.5"),
    ("cb", "{\"left\":1,\"top\":1,\"width\":1,\"height\":1}"),
    ("ca", "{\"left\":2,\"top\":2,\"width\":2,\"height\":2}"),
    ("tr", "20"),
    ("r", "90"),
    ("flip", "true"),
    ("flop", "true"),
    ("af", "[[1,0],[0,2]]"),
    ("afbg", "blue"),
    ("afi", "lbb"),
    ("sh", "{\"sigma\":2,\"m1\":3}"),
    ("md", "5"),
    ("bl", "1.5"),
    ("fl", "white"),
    ("gm", "[1.5,2]"),
    ("ng", "{\"alpha\":true}"),
    ("nr", "true"),
    ("cl", "{\"width\":3,\"height\":3}"),
    ("cv", "{\"width\":1,\"height\":1,\"kernel\":[2]}"),
    ("th", "100"),
    ("uf", "true"),
    ("bo", "{\"operator\":\"and\",\"operand\":\"a.png\"}"),
    ("li", "[2,1]"),
    ("rc", "[[0,0,1],[0,1,0],[1,0,0]]"),
    ("mo", "{\"hue\":90}"),
    ("t", "{\"r\":1,\"g\":2,\"b\":3}"),
    ("g", "true"),
    ("pc", "lab"),
    ("tc", "srgb"),
    ("ra", "true"),
    ("ea", "0.5"),
    ("ec", "blue"),
    ("jc", "[\"a.png\"]"),
    ("bb", "and"),
    ("wm", "logo.png"),
    ("gr", "north"),
    ("q", "75"),
    ("fm", "png"),
    ("bhc", "2x5"),
    ("ll", "true"),
    ("preset", "thumb,dark"),
];

/// Overlaying puts every key `top` sets over the base and leaves the others; a key of
/// every kind goes through (all samples at once over a different base).
#[test]
fn overlay_replaces_exactly_the_keys_that_are_set() {
    let mut base = accepts("w=10&h=20&q=50&g");
    base.overlay(&accepts("h=30&fm=auto")).unwrap();
    assert_eq!(base.canonical(), "fm=auto&g=true&h=30&q=50&w=10");
    base.overlay(&Params::default()).unwrap();
    assert_eq!(base.canonical(), "fm=auto&g=true&h=30&q=50&w=10");
    let query: Vec<String> = SAMPLES.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let all = accepts(&query.join("&"));
    let mut onto = accepts("w=99&fm=gif&wm=other.png");
    onto.overlay(&all).unwrap();
    assert_eq!(onto, all);
}

#[test]
fn table_has_exactly_the_keys_of_the_brief_in_order() {
    let names: Vec<&str> = KEYS.iter().map(|spec| spec.name).collect();
    let brief: Vec<&str> = BRIEF_KEYS.split_whitespace().collect();
    assert_eq!(names, brief);
    for name in &names {
        assert!(is_known_key(name));
        assert!(!is_reserved_key(name));
    }
}

#[test]
fn reserved_and_unknown_keys_are_not_known() {
    for key in RESERVED_KEYS.iter().chain(&["v", "", "W", "width", "b64"]) {
        assert!(!is_known_key(key), "{key}");
    }
    for key in ["s", "sig", "exp", "kid"] {
        assert!(is_reserved_key(key));
    }
}

#[test]
fn every_key_parses_renders_and_round_trips_its_sample() {
    let sampled: Vec<&str> = SAMPLES.iter().map(|(k, _)| *k).collect();
    let names: Vec<&str> = KEYS.iter().map(|spec| spec.name).collect();
    assert_eq!(sampled, names, "one sample per key, in table order");
    for (key, value) in SAMPLES {
        let p = accepts(&format!("{key}={value}"));
        assert!(!p.is_empty(), "{key}");
        let canonical = p.canonical();
        assert!(canonical.starts_with(key), "{key}: {canonical}");
        assert_eq!(canonical.split('&').count(), 1, "{key}: {canonical}");
        assert_eq!(accepts(&canonical), p, "{key}");
    }
}

#[test]
fn all_samples_together_set_every_field() {
    let query: Vec<String> = SAMPLES.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let p = accepts(&query.join("&"));
    assert_eq!(p.canonical().split('&').count(), KEYS.len());
    assert_eq!(accepts(&p.canonical()), p);
}

#[test]
fn bare_meanings_in_the_table_match_the_parser() {
    for spec in KEYS {
        let bare = Params::parse(spec.name);
        let empty = Params::parse(&format!("{}=", spec.name));
        assert_eq!(bare.is_ok(), spec.bare.is_some(), "bare {}", spec.name);
        assert_eq!(empty.is_ok(), spec.bare.is_some(), "empty {}", spec.name);
        if let (Ok(bare), Ok(empty)) = (bare, empty) {
            assert_eq!(bare, empty, "{}", spec.name);
            assert!(!bare.is_empty(), "{}", spec.name);
        }
    }
}

#[test]
fn base64_works_for_exactly_the_kinds_that_say_so() {
    use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
    use base64::Engine as _;
    for (spec, (_, value)) in KEYS.iter().zip(SAMPLES) {
        let plain = Params::parse(&format!("{}={value}", spec.name));
        for engine in [URL_SAFE, URL_SAFE_NO_PAD] {
            let encoded = format!("{}=b64:{}", spec.name, engine.encode(value));
            let wrapped = Params::parse(&encoded);
            if spec.kind.accepts_base64() {
                assert_eq!(wrapped.ok(), plain.as_ref().ok().cloned(), "{encoded}");
            } else {
                assert!(wrapped.is_err(), "{encoded} should be rejected");
            }
        }
    }
}

#[test]
fn base64_must_be_url_safe() {
    // ">>>" encodes to "Pj4+" in the standard alphabet; only - and _ are accepted.
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;
    let standard = STANDARD.encode("[\">>>?\"]");
    assert!(standard.contains('+') || standard.contains('/'));
    let (key, _, _) = rejects(&format!("jc=b64:{}", standard.replace('+', "%2B")));
    assert_eq!(key, "jc");
}

#[test]
fn doc_lines_are_single_sentences_with_content() {
    for spec in KEYS {
        let doc = spec.doc;
        assert!(doc.ends_with('.'), "{}: {doc}", spec.name);
        assert!(
            doc.chars().next().is_some_and(char::is_uppercase),
            "{}",
            spec.name
        );
        let sentence_breaks = doc
            .match_indices(". ")
            .filter(|(at, _)| doc[at + 2..].starts_with(char::is_uppercase))
            .count();
        assert_eq!(
            sentence_breaks, 0,
            "{} has more than one sentence",
            spec.name
        );
        assert!(!doc.contains('\n'), "{}", spec.name);
        assert!(
            (20..=400).contains(&doc.len()),
            "{}: {} chars",
            spec.name,
            doc.len()
        );
        assert!(!spec.kind.label().is_empty());
        assert!(!spec.group.title().is_empty());
    }
}

#[test]
fn keyword_names_parse_back_to_themselves() {
    for fit in Fit::ALL {
        assert_eq!(Fit::from_name(fit.name()), Some(*fit));
    }
    for gravity in Gravity::ALL {
        assert_eq!(Gravity::from_words(gravity.name()), Some(*gravity));
    }
    for space in Colourspace::ALL {
        assert_eq!(Colourspace::from_name(space.name()), Some(*space));
    }
    for format in Format::ALL {
        assert_eq!(Format::from_name(format.name()), Some(*format));
        let mime = format.mime_type();
        assert_eq!(mime.is_none(), *format == Format::Auto, "{format:?}");
        let described = format.description();
        assert_eq!(
            described.map(Description::mime_type),
            mime.filter(|m| !m.starts_with("image/")),
            "{format:?}: an image type exactly when it is not a description"
        );
    }
    for channel in Channel::ALL {
        assert_eq!(
            Channel::from_name(&channel.index().to_string()),
            Some(*channel)
        );
    }
}

#[test]
fn store_key_rules() {
    assert_eq!(
        StoreKey::parse("/a/b.png").map(|k| k.to_string()),
        Ok("a/b.png".into())
    );
    assert_eq!(
        StoreKey::parse("a..b.png").map(|k| k.to_string()),
        Ok("a..b.png".into())
    );
    let too_long = "a".repeat(MAX_STORE_KEY_BYTES + 1);
    for bad in [
        "",
        "/",
        "//a",
        "a/",
        "a//b",
        "./a",
        "a/./b",
        "..",
        "a/../b",
        "a\\b",
        "a\u{7}b",
        "http://x/a",
        too_long.as_str(),
    ] {
        assert!(StoreKey::parse(bad).is_err(), "{bad:?}");
    }
    assert!(StoreKey::parse(&"a".repeat(MAX_STORE_KEY_BYTES)).is_ok());
}

#[test]
fn watermark_name_rules() {
    assert!(WatermarkName::parse(&"a".repeat(MAX_WATERMARK_NAME_CHARS)).is_some());
    assert!(WatermarkName::parse(&"a".repeat(MAX_WATERMARK_NAME_CHARS + 1)).is_none());
    for bad in ["", ".", "..", "a/b", "a\\b", "a b", "é.png", "a:b"] {
        assert!(WatermarkName::parse(bad).is_none(), "{bad:?}");
    }
    assert!(WatermarkName::parse(".hidden-but-allowed").is_some());
}

#[test]
fn is_empty_tracks_known_keys_only() {
    assert!(accepts("").is_empty());
    assert!(accepts("v=2&sig=abc").is_empty());
    assert!(!accepts("flip=false").is_empty());
    assert!(!accepts("w=1").is_empty());
}

#[test]
fn json_reader_edge_cases() {
    use super::json::{parse, Json};
    assert_eq!(
        parse(" [ 1 , -0 , 2.5e1 ] "),
        Ok(Json::Array(vec![
            Json::Number(1.0),
            Json::Number(0.0),
            Json::Number(25.0),
        ]))
    );
    assert_eq!(
        parse("\"\\u00e9\\ud83d\\ude00\\n\""),
        Ok(Json::String("é😀\n".to_string()))
    );
    assert_eq!(parse("{}"), Ok(Json::Object(vec![])));
    assert_eq!(parse("null"), Ok(Json::Null));
    for bad in [
        "",
        "[",
        "[1,]",
        "{\"a\"}",
        "{\"a\":1,}",
        "01",
        "1.",
        ".5",
        "-",
        "+1",
        "1e",
        "tru",
        "\"abc",
        "\"\\x\"",
        "\"\\udc00\"",
        "\"\\ud800x\"",
        "[1] [2]",
        "'a'",
        "NaN",
        "1e400",
    ] {
        assert!(parse(bad).is_err(), "{bad:?} should be rejected");
    }
}

#[test]
fn number_format_is_shortest_and_exact() {
    use super::value::{format_f32, format_f64};
    for (x, text) in [
        (0.0, "0"),
        (-0.0, "0"),
        (2.0, "2"),
        (-3.0, "-3"),
        (0.1, "0.1"),
        (1e-6, "1e-6"),
        (1e20, "1e20"),
        (123.456, "123.456"),
    ] {
        assert_eq!(format_f64(x), text);
    }
    for x in [0.1f64, 1.0 / 3.0, 2.0f64.sqrt(), 1e-300, 1e23] {
        assert_eq!(format_f64(x).parse::<f64>(), Ok(x));
        assert_eq!(
            super::json::parse(&format_f64(x)),
            Ok(super::json::Json::Number(x))
        );
    }
    assert_eq!(format_f32(0.3), "0.3");
    assert_eq!(format_f32(1000.0), "1000");
}
