package csv

import (
	"bytes"
	"io"
	"testing"

	"github.com/khorasan/khorasan/geo"
)

// FuzzCSVReader: any bytes as CSV, in any profile, never panic and fail
// only with input errors.
func FuzzCSVReader(f *testing.F) {
	f.Add([]byte("id,lat,lon,n\na,1,2,3\n"), "")
	f.Add([]byte(acledCSV), "acled")
	f.Add([]byte(gtdCSV), "gtd")
	f.Add([]byte(ucdpCSV), "ucdp")
	f.Add([]byte("x;y;wkt\n1;2;POINT(1 2)\n"), "generic")
	f.Fuzz(func(t *testing.T, data []byte, profile string) {
		r, _, err := NewReader(bytes.NewReader(data), Options{Profile: profile, DateOrder: "dmy"})
		if err != nil {
			if !geo.IsInvalid(err) {
				t.Fatalf("not an input error: %v", err)
			}
			return
		}
		fuzzReadAll(t, r)
	})
}

// readAll reads every record of a reader; it fails the test on a panic
// or an error that is not an input error.
func fuzzReadAll(t *testing.T, r geo.RecordReader) {
	for range 100000 {
		rec, err := r.Read()
		if err == io.EOF {
			return
		}
		if err != nil {
			if !geo.IsInvalid(err) {
				t.Fatalf("not an input error: %v", err)
			}
			return
		}
		if rec.Err != nil && !geo.IsInvalid(rec.Err) {
			t.Fatalf("record error is not an input error: %v", rec.Err)
		}
	}
}

// The exports of the profiles, as in geo/gpkg/load_test.go.

const acledCSV = `event_id_cnty,event_date,year,event_type,sub_event_type,actor1,actor2,country,admin1,location,latitude,longitude,geo_precision,source,notes,fatalities
AFG1001,2021-08-26,2021,Explosions/Remote violence,Suicide bomb,Islamic State (Afghanistan),Civilians (Afghanistan),Afghanistan,Kabul,Kabul,34.5167,69.1833,1,Pajhwok; BBC,Suicide bombing at the airport gate.,170
AFG1002,15 January 2022,2022,Violence against civilians,Attack,Islamic State (Afghanistan),,Afghanistan,Nangarhar,Jalalabad,34.4342,70.4478,2,Xinhua,,3
`

const ucdpCSV = `id,relid,year,type_of_violence,side_a,side_b,where_coordinates,where_description,adm_1,latitude,longitude,where_prec,country,date_start,date_end,best,high,low,source_article
414081,AFG-2021-1-1,2021,3,IS,Civilians,Kabul town,Hamid Karzai airport,Kabul province,34.5656,69.2125,1,Afghanistan,2021-08-26 00:00:00.000,2021-08-26 00:00:00.000,183,185,170,"BBC 2021-08-27"
414082,AFG-2021-1-2,2021,3,IS,Civilians,Kunduz town,,Kunduz province,36.7286,68.8681,2,Afghanistan,2021-10-08 00:00:00.000,2021-10-09 00:00:00.000,72,100,50,
`

// GTD files are ISO-8859-1; imonth or iday 0 is unknown.
var gtdCSV = "eventid,iyear,imonth,iday,approxdate,extended,country_txt,provstate,city,latitude,longitude,specificity,summary,attacktype1_txt,targtype1_txt,target1,gname,claimed,nkill,nwound,scite1,scite2\n" +
	"201508150001,2015,8,15,,0,Afghanistan,Nangarhar,Jal\xe2l\xe2b\xe2d,34.4342,70.4478,1,Caf\xe9 attack.,Bombing/Explosion,Private Citizens & Property,Caf\xe9,Khorasan Chapter of the Islamic State,1,12,20,Source A,Source B\n" +
	"201600000002,2016,0,0,early 2016,0,Pakistan,Balochistan,Quetta,30.1798,66.975,1,,Armed Assault,Police,,Khorasan Chapter of the Islamic State,0,,,,\n" +
	"201602000003,2016,2,0,,0,Afghanistan,Kabul,Kabul,34.5167,69.1833,1,,Bombing/Explosion,Military,Checkpoint,Khorasan Chapter of the Islamic State,0,4.0,-99,,\n"
